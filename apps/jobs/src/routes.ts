import type { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { Job, JobAssignBody, JobCreate, JobStart } from "@rt/contracts";
import { createServiceApp, requireUser, route, valid, type Logger, type RouteDoc, type ServiceEnv } from "@rt/service-kit";
import { assignJob, createJob, getJob, type JobsDeps } from "./jobs.ts";

/** Every jobs route needs a verified user; checked before the payload so a stranger learns nothing. */
const authed = createMiddleware<ServiceEnv>(async (c, next) => {
  requireUser(c);
  await next();
});

const doc = (d: Omit<RouteDoc, "tags" | "auth">) => route({ ...d, tags: ["jobs"], auth: ["bearer"] });
const createDoc = doc({ summary: "Create a job (status NEW)", responses: { 201: Job } });
const assignDoc = doc({
  summary: "Assign a job (creator only); the assignee gets job:assigned and a notification",
  responses: { 200: Job },
  errors: ["FORBIDDEN", "NOT_FOUND", "CONFLICT"],
});
const getDoc = doc({ summary: "One job of the caller's tenant", responses: { 200: Job }, errors: ["NOT_FOUND"] });

export function jobRoutes(deps: JobsDeps & { log: Logger }): Hono<ServiceEnv> {
  const app = createServiceApp(deps.log);
  app.post("/api/jobs", createDoc, authed, valid("json", JobCreate), async (c) => c.json(await createJob(deps, requireUser(c), c.req.valid("json")), 201));
  app.post("/api/jobs/:jobId/assign", assignDoc, authed, valid("param", JobStart), valid("json", JobAssignBody), async (c) =>
    c.json(await assignJob(deps, requireUser(c), { ...c.req.valid("json"), jobId: c.req.valid("param").jobId })),
  );
  app.get("/api/jobs/:jobId", getDoc, authed, valid("param", JobStart), async (c) => c.json(await getJob(deps, requireUser(c), c.req.valid("param").jobId)));
  return app;
}
