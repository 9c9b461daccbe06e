import type { ServiceModule } from "@rt/service-kit";

/** Every service the one-process runner (and the test platform) starts, in start order. */
export const serviceModules: ServiceModule[] = [];
