import { fileURLToPath } from "node:url";
import { Outbox, defineService } from "@rt/service-kit";
import { assignJob, completeJob, createJob, startJob } from "./jobs.ts";
import { jobRoutes } from "./routes.ts";
import { jobsOutbox } from "./schema.ts";

export const jobsService = defineService({
  name: "jobs",
  migrations: fileURLToPath(new URL("../drizzle", import.meta.url)),
  create(deps) {
    const outbox = new Outbox({ ...deps, table: jobsOutbox, name: "jobs" });
    const jobs = { ...deps, outbox };
    return {
      actions: {
        "test:create-job": (ctx, input) => createJob(jobs, ctx, input),
        "test:assign-job": (ctx, input) => assignJob(jobs, ctx, input),
        "job:start": (ctx, { jobId }) => startJob(jobs, ctx, jobId),
        "job:complete": (ctx, input) => completeJob(jobs, ctx, input),
      },
      http: jobRoutes(jobs),
      stop: () => outbox.stop(),
    };
  },
});
