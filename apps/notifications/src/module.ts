import { fileURLToPath } from "node:url";
import type { ServiceModule } from "@rt/service-kit";
import { createNotificationsService } from "./service.ts";

export const notificationsModule: ServiceModule = {
  name: "notifications",
  migrations: fileURLToPath(new URL("../drizzle", import.meta.url)),
  create: createNotificationsService,
};
