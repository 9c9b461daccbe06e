import { describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { Job, JobAssigned, JobStatusChanged, JobTransition, Notification } from "@rt/contracts";
import { expectRefused as refused, okData as ok, startServices, uniqueTenant, delivered, eventually, expectSafeMessage, settle, servicesForFile } from "@rt/testkit";
import { notificationsService } from "../../notifications/src/service.ts";
import { jobsService } from "./service.ts";
import { jobStatusHistory } from "./schema.ts";

const h = servicesForFile([jobsService, notificationsService]);

const NEW_JOB = { projectId: 1, jobTypeId: 2, subject: "Test Job" };
const as = (tenantId: string, userId: string) => ({ tenantId, userId });

async function createJob(t: string, by: string) {
  return Job.parse(ok(await h.call("jobs.test:create-job", as(t, by), NEW_JOB)));
}
async function assignedJob(t: string, creator: string, assignee: string) {
  const job = await createJob(t, creator);
  return Job.parse(ok(await h.call("jobs.test:assign-job", as(t, creator), { jobId: job.id, assigneeId: assignee })));
}

describe("jobs actions", () => {
  test("create: the caller is the creator, ids are numbers, status NEW", async () => {
    const t = uniqueTenant();
    // Seeds send extra fields (userId); they are ignored, and ids may be numeric strings.
    const job = Job.parse(ok(await h.call("jobs.test:create-job", as(t, "u1"), { projectId: "7", jobTypeId: 2, subject: "Mix", userId: "evil", createdBy: "evil" })));
    expect(job).toMatchObject({ projectId: 7, jobTypeId: 2, subject: "Mix", status: "NEW", createdBy: "u1", assigneeId: null, note: null });
    expect(typeof job.id).toBe("number");
  });

  test("create: bad payloads are VALIDATION", async () => {
    const t = uniqueTenant();
    refused(await h.call("jobs.test:create-job", as(t, "u1"), { projectId: 1, jobTypeId: 2 }), "VALIDATION");
    refused(await h.call("jobs.test:create-job", as(t, "u1"), { ...NEW_JOB, projectId: "abc" }), "VALIDATION");
    refused(await h.call("jobs.test:create-job", as(t, "u1"), { ...NEW_JOB, subject: "" }), "VALIDATION");
    refused(await h.call("jobs.test:create-job", as(t, "u1"), null), "VALIDATION");
  });

  test("assign: assignee gets job:assigned, both get job:status-changed, and a stored notification", async () => {
    const t = uniqueTenant();
    const job = await createJob(t, "boss");
    const assigned = Job.parse(ok(await h.call("jobs.test:assign-job", as(t, "boss"), { jobId: job.id, assigneeId: 3 })));
    expect(assigned).toMatchObject({ id: job.id, status: "ASSIGNED", assigneeId: "3" });

    const [a] = await eventually(() => delivered(h, t, "job:assigned").length > 0 && delivered(h, t, "job:assigned"));
    expect(a!.target).toEqual({ kind: "user", id: "3" });
    expect(JobAssigned.parse(a!.data)).toMatchObject({ jobId: job.id, assignedBy: "boss", job: { status: "ASSIGNED" } });
    const changes = await eventually(() => delivered(h, t, "job:status-changed").length === 2 && delivered(h, t, "job:status-changed"));
    expect(changes.map((c) => c.target.id).sort()).toEqual(["3", "boss"]);
    for (const c of changes) expect(JobStatusChanged.parse(c.data)).toMatchObject({ jobId: job.id, from: "NEW", to: "ASSIGNED", by: "boss" });

    // The notifications service turns the domain event into a stored notification for the assignee.
    const list = await eventually(async () => {
      const r = await h.http("GET", "/api/notifications", { ctx: as(t, "3") });
      return r.json.notifications.length > 0 && r.json.notifications;
    });
    expect(Notification.parse(list[0])).toMatchObject({ userId: "3", type: "job_assigned", data: { jobId: job.id, assignedBy: "boss" }, readAt: null });
    const live = await eventually(() => delivered(h, t, "notification:new", "3")[0]);
    expect(live.data.id).toBe(list[0].id);
    await eventually(() => delivered(h, t, "notification:unread-count", "3").some((d) => d.data.count === 1));
    expect(delivered(h, t, "notification:new", "boss")).toEqual([]);
  });

  test("assign: only the creator, only in the tenant, only before work starts", async () => {
    const t = uniqueTenant();
    const job = await createJob(t, "boss");
    refused(await h.call("jobs.test:assign-job", as(t, "someone"), { jobId: job.id, assigneeId: "u2" }), "FORBIDDEN");
    refused(await h.call("jobs.test:assign-job", as(uniqueTenant(), "boss"), { jobId: job.id, assigneeId: "u2" }), "NOT_FOUND");
    refused(await h.call("jobs.test:assign-job", as(t, "boss"), { jobId: 999_999_999_999, assigneeId: "u2" }), "NOT_FOUND");
    refused(await h.call("jobs.test:assign-job", as(t, "boss"), { jobId: job.id }), "VALIDATION");
    refused(await h.call("jobs.test:assign-job", as(t, "boss"), { jobId: "x", assigneeId: "u2" }), "VALIDATION");

    ok(await h.call("jobs.test:assign-job", as(t, "boss"), { jobId: job.id, assigneeId: "u2" }));
    // Re-assignment while ASSIGNED is allowed; the new assignee is the one who may start.
    const again = Job.parse(ok(await h.call("jobs.test:assign-job", as(t, "boss"), { jobId: job.id, assigneeId: "u3" })));
    expect(again.assigneeId).toBe("u3");
    refused(await h.call("jobs.job:start", as(t, "u2"), { jobId: job.id }), "FORBIDDEN");
    ok(await h.call("jobs.job:start", as(t, "u3"), { jobId: job.id }));
    refused(await h.call("jobs.test:assign-job", as(t, "boss"), { jobId: job.id, assigneeId: "u2" }), "CONFLICT");
  });

  test("assign retried to the same assignee (its reply was lost) is the same assignment: one job:assigned, one notification, one history row", async () => {
    const t = uniqueTenant();
    const job = await createJob(t, "boss");
    const first = Job.parse(ok(await h.call("jobs.test:assign-job", as(t, "boss"), { jobId: job.id, assigneeId: "dj" })));
    const retry = Job.parse(ok(await h.call("jobs.test:assign-job", as(t, "boss"), { jobId: job.id, assigneeId: "dj" })));
    expect(retry).toEqual(first);
    await eventually(() => delivered(h, t, "notification:new", "dj").length > 0);
    await settle(h);
    expect(delivered(h, t, "job:assigned", "dj")).toHaveLength(1);
    expect(delivered(h, t, "notification:new", "dj")).toHaveLength(1);
    const rows = await h.db.db
      .select({ to: jobStatusHistory.to })
      .from(jobStatusHistory)
      .where(and(eq(jobStatusHistory.tenantId, t), eq(jobStatusHistory.jobId, job.id), eq(jobStatusHistory.to, "ASSIGNED")));
    expect(rows).toHaveLength(1);
  });

  test("start and complete: assignee only, both participants hear each change", async () => {
    const t = uniqueTenant();
    const job = await assignedJob(t, "boss", "dj");
    refused(await h.call("jobs.job:start", as(t, "boss"), { jobId: job.id }), "FORBIDDEN");
    refused(await h.call("jobs.job:start", as(uniqueTenant(), "dj"), { jobId: job.id }), "NOT_FOUND");
    refused(await h.call("jobs.job:complete", as(t, "dj"), { jobId: job.id }), "CONFLICT");

    const started = Job.parse(ok(await h.call("jobs.job:start", as(t, "dj"), { jobId: String(job.id) })));
    expect(started.status).toBe("IN_PROGRESS");
    refused(await h.call("jobs.job:start", as(t, "dj"), { jobId: job.id }), "CONFLICT");

    const done = Job.parse(ok(await h.call("jobs.job:complete", as(t, "dj"), { jobId: job.id, note: "all good" })));
    expect(done).toMatchObject({ status: "COMPLETED", note: "all good" });
    refused(await h.call("jobs.job:complete", as(t, "dj"), { jobId: job.id }), "CONFLICT");
    refused(await h.call("jobs.job:complete", as(t, "dj"), { jobId: job.id, note: 5 }), "VALIDATION");

    for (const [event, to] of [
      ["job:started", "IN_PROGRESS"],
      ["job:completed", "COMPLETED"],
    ] as const) {
      const got = await eventually(() => delivered(h, t, event).length === 2 && delivered(h, t, event));
      expect(got.map((d) => d.target.id).sort()).toEqual(["boss", "dj"]);
      for (const d of got) expect(JobTransition.parse(d.data)).toMatchObject({ jobId: job.id, by: "dj", job: { status: to } });
    }
    const changes = await eventually(() => delivered(h, t, "job:status-changed").length === 6 && delivered(h, t, "job:status-changed"));
    expect(changes.map((c) => `${c.data.from}>${c.data.to}@${c.target.id}`).sort()).toEqual([
      "ASSIGNED>IN_PROGRESS@boss",
      "ASSIGNED>IN_PROGRESS@dj",
      "IN_PROGRESS>COMPLETED@boss",
      "IN_PROGRESS>COMPLETED@dj",
      "NEW>ASSIGNED@boss",
      "NEW>ASSIGNED@dj",
    ]);
    const history = await h.db.db
      .select({ from: jobStatusHistory.from, to: jobStatusHistory.to, by: jobStatusHistory.by })
      .from(jobStatusHistory)
      .where(and(eq(jobStatusHistory.tenantId, t), eq(jobStatusHistory.jobId, job.id)))
      .orderBy(jobStatusHistory.id);
    expect(history).toEqual([
      { from: null, to: "NEW", by: "boss" },
      { from: "NEW", to: "ASSIGNED", by: "boss" },
      { from: "ASSIGNED", to: "IN_PROGRESS", by: "dj" },
      { from: "IN_PROGRESS", to: "COMPLETED", by: "dj" },
    ]);
  });

  test("a creator who is also the assignee hears each change once", async () => {
    const t = uniqueTenant();
    const job = await assignedJob(t, "solo", "solo");
    ok(await h.call("jobs.job:start", as(t, "solo"), { jobId: job.id }));
    await eventually(() => delivered(h, t, "job:started").length === 1);
    await settle(h);
    expect(delivered(h, t, "job:started")).toHaveLength(1);
    expect(delivered(h, t, "job:status-changed")).toHaveLength(2);
  });

  test("concurrent transitions: exactly one wins, the others are CONFLICT", async () => {
    const t = uniqueTenant();
    const job = await assignedJob(t, "boss", "dj");
    const replies = await Promise.all(Array.from({ length: 6 }, () => h.call("jobs.job:start", as(t, "dj"), { jobId: job.id })));
    expect(replies.filter((r) => r.ok)).toHaveLength(1);
    for (const r of replies.filter((r) => !r.ok)) refused(r, "CONFLICT");
    const history = await h.db.db
      .select()
      .from(jobStatusHistory)
      .where(and(eq(jobStatusHistory.tenantId, t), eq(jobStatusHistory.to, "IN_PROGRESS")));
    expect(history).toHaveLength(1);
  });
});

describe("jobs REST", () => {
  test("POST /api/jobs → 201, assign, GET by creator and assignee", async () => {
    const t = uniqueTenant();
    const created = await h.http("POST", "/api/jobs", { ctx: as(t, "boss"), body: NEW_JOB });
    expect(created.status).toBe(201);
    const job = Job.parse(created.json);
    expect(job.createdBy).toBe("boss");

    const assigned = await h.http("POST", `/api/jobs/${job.id}/assign`, { ctx: as(t, "boss"), body: { assigneeId: "dj" } });
    expect(assigned.status).toBe(200);
    expect(Job.parse(assigned.json)).toMatchObject({ status: "ASSIGNED", assigneeId: "dj" });
    await eventually(() => delivered(h, t, "job:assigned", "dj").length === 1);

    for (const user of ["boss", "dj"]) {
      const got = await h.http("GET", `/api/jobs/${job.id}`, { ctx: as(t, user) });
      expect(got.status).toBe(200);
      expect(got.json).toEqual(assigned.json);
    }
  });

  test("refusals: no token 401, bad body 400, stranger 403, other tenant and unknown 404", async () => {
    const t = uniqueTenant();
    const job = await createJob(t, "boss");
    const cases: Array<[Promise<{ status: number; json: any }>, number, string]> = [
      [h.http("POST", "/api/jobs", { body: NEW_JOB }), 401, "UNAUTHENTICATED"],
      [h.http("GET", `/api/jobs/${job.id}`), 401, "UNAUTHENTICATED"],
      [h.http("POST", "/api/jobs", { ctx: as(t, "boss"), body: { subject: "x" } }), 400, "VALIDATION"],
      [h.http("POST", "/api/jobs", { ctx: as(t, "boss"), body: "{not json" }), 400, "VALIDATION"],
      [h.http("POST", `/api/jobs/${job.id}/assign`, { ctx: as(t, "boss"), body: {} }), 400, "VALIDATION"],
      [h.http("POST", `/api/jobs/${job.id}/assign`, { ctx: as(t, "other"), body: { assigneeId: "x" } }), 403, "FORBIDDEN"],
      [h.http("GET", `/api/jobs/${job.id}`, { ctx: as(t, "other") }), 403, "FORBIDDEN"],
      [h.http("GET", `/api/jobs/${job.id}`, { ctx: as(uniqueTenant(), "boss") }), 404, "NOT_FOUND"],
      [h.http("GET", "/api/jobs/123456789012", { ctx: as(t, "boss") }), 404, "NOT_FOUND"],
      [h.http("GET", "/api/jobs/abc", { ctx: as(t, "boss") }), 400, "VALIDATION"],
    ];
    for (const [p, status, code] of cases) {
      const r = await p;
      expect({ status: r.status, code: r.json?.error?.code }).toEqual({ status, code });
      expectSafeMessage(r.json.error.message);
    }
  });
});

describe("jobs errors", () => {
  test("a failing database answers without internals", async () => {
    // Its own in-process bus, so no other replica can answer for the broken one.
    const own = await startServices([jobsService, notificationsService], { mode: "embedded" });
    const t = uniqueTenant();
    await own.db.close();
    try {
      const r = await own.call("jobs.test:create-job", as(t, "u1"), NEW_JOB);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(["UNAVAILABLE", "INTERNAL"]).toContain(r.error.code);
        expectSafeMessage(r.error.message);
      }
      const g = await own.http("GET", "/api/jobs/1", { ctx: as(t, "u1") });
      expect([500, 503]).toContain(g.status);
      expectSafeMessage(g.json.error.message);
    } finally {
      await own.stop().catch(() => {});
    }
    // Its own PGlite starts and migrates two services: seconds on a loaded machine.
  }, 30_000);
});
