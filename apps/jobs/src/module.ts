import { fileURLToPath } from "node:url";
import type { ServiceModule } from "@rt/service-kit";
import { createJobsService } from "./service.ts";

export const jobsModule: ServiceModule = {
  name: "jobs",
  migrations: fileURLToPath(new URL("../drizzle", import.meta.url)),
  create: createJobsService,
};
