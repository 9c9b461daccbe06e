import { fileURLToPath } from "node:url";
import type { ServiceModule } from "@rt/service-kit";
import { createCallsService } from "./service.ts";

export const callsModule: ServiceModule = {
  name: "calls",
  migrations: fileURLToPath(new URL("../drizzle", import.meta.url)),
  create: createCallsService,
};
