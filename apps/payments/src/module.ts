import { fileURLToPath } from "node:url";
import type { ServiceModule } from "@rt/service-kit";
import { createPaymentsService } from "./service.ts";

export const paymentsModule: ServiceModule = {
  name: "payments",
  migrations: fileURLToPath(new URL("../drizzle", import.meta.url)),
  create: createPaymentsService,
};
