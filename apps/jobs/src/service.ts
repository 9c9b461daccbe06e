import { JobComplete, JobAssign, JobCreate, JobStart, actions } from "@rt/contracts";
import { serveActions, serveHttpRelay, type RunningService, type ServiceDeps } from "@rt/service-kit";
import { assignJob, completeJob, createJob, startJob } from "./jobs.ts";
import { jobRoutes } from "./routes.ts";

export function createJobsService(deps: ServiceDeps): RunningService {
  const { bus, log, metrics } = deps;
  const subs = [
    serveActions(
      bus,
      "jobs",
      {
        [actions.jobs.create]: (ctx, data) => createJob(deps, ctx, JobCreate.parse(data)),
        [actions.jobs.assign]: (ctx, data) => assignJob(deps, ctx, JobAssign.parse(data)),
        [actions.jobs.start]: (ctx, data) => startJob(deps, ctx, JobStart.parse(data).jobId),
        [actions.jobs.complete]: (ctx, data) => completeJob(deps, ctx, JobComplete.parse(data)),
      },
      log,
      metrics,
    ),
    serveHttpRelay(bus, "jobs", jobRoutes(deps), log, metrics),
  ];
  return {
    async stop() {
      for (const s of subs) s.unsubscribe();
    },
  };
}
