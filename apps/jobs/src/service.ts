import { fileURLToPath } from "node:url";
import { defineService } from "@rt/service-kit";
import { assignJob, completeJob, createJob, startJob } from "./jobs.ts";
import { jobRoutes } from "./routes.ts";

export const jobsService = defineService({
  name: "jobs",
  migrations: fileURLToPath(new URL("../drizzle", import.meta.url)),
  create(deps) {
    return {
      actions: {
        "test:create-job": (ctx, input) => createJob(deps, ctx, input),
        "test:assign-job": (ctx, input) => assignJob(deps, ctx, input),
        "job:start": (ctx, { jobId }) => startJob(deps, ctx, jobId),
        "job:complete": (ctx, input) => completeJob(deps, ctx, input),
      },
      http: jobRoutes(deps),
    };
  },
});
