import { fileURLToPath } from "node:url";
import type { ServiceModule } from "@rt/service-kit";
import { createChatService } from "./service.ts";

export const chatModule: ServiceModule = {
  name: "chat",
  migrations: fileURLToPath(new URL("../drizzle", import.meta.url)),
  create: createChatService,
};
