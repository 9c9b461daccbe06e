import type { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { JobAssignBody, JobCreate, JobStart } from "@rt/contracts";
import { createServiceApp, requireUser, valid, type Logger, type ServiceEnv } from "@rt/service-kit";
import { assignJob, createJob, getJob, type JobsDeps } from "./jobs.ts";

/** Every jobs route needs a verified user; checked before the payload so a stranger learns nothing. */
const authed = createMiddleware<ServiceEnv>(async (c, next) => {
  requireUser(c);
  await next();
});

export function jobRoutes(deps: JobsDeps & { log: Logger }): Hono<ServiceEnv> {
  const app = createServiceApp(deps.log);
  app.post("/api/jobs", authed, valid("json", JobCreate), async (c) => c.json(await createJob(deps, requireUser(c), c.req.valid("json")), 201));
  app.post("/api/jobs/:jobId/assign", authed, valid("param", JobStart), valid("json", JobAssignBody), async (c) =>
    c.json(await assignJob(deps, requireUser(c), { ...c.req.valid("json"), jobId: c.req.valid("param").jobId })),
  );
  app.get("/api/jobs/:jobId", authed, valid("param", JobStart), async (c) => c.json(await getJob(deps, requireUser(c), c.req.valid("param").jobId)));
  return app;
}
