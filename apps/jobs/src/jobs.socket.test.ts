import { afterAll, beforeAll, expect, test } from "bun:test";
import { Job, JobAssigned, JobStatusChanged, JobTransition, Notification } from "@rt/contracts";
import { emitAck, expectNone, recorder, startPlatform, uniqueTenant, waitFor, type ClientSocket, type TestPlatform } from "@rt/testkit";

// Seed 000 (DJ System) over real sockets: the gateway, jobs and notifications together.
let p: TestPlatform;
beforeAll(async () => {
  p = await startPlatform();
}, 30_000);
afterAll(() => p?.stop());

const NEW_JOB = { projectId: 1, jobTypeId: 2, subject: "Test Job" };

function data<T>(ack: { ok: boolean; data?: unknown; error?: { code: string } }): T {
  if (!ack.ok) throw new Error(`refused: ${ack.error?.code}`);
  return ack.data as T;
}
function expectRefused(ack: { ok: boolean; error?: { code: string; message: string } }, code: string) {
  expect(ack.ok).toBe(false);
  expect(ack.error?.code).toBe(code);
  expect(ack.error?.message).not.toMatch(/select|update|insert|postgres|\.ts:/i);
}

/** A connected socket whose on-connect unread count has arrived, so later counts are the test's. */
async function connect(sub: string, tenantId?: string): Promise<ClientSocket> {
  const s = await p.connect({ sub, ...(tenantId ? { tenantId } : {}) });
  const rec = recorder(s);
  for (let i = 0; i < 150 && rec.of("notification:unread-count").length === 0; i++) await Bun.sleep(20);
  expect(rec.of("notification:unread-count")).toMatchObject([{ count: 0 }]);
  return s;
}

test("create, assign, start, complete: the assignee and the creator hear each step; nobody else does", async () => {
  const boss = await connect("boss");
  const dj = await connect("dj");
  const eve = await connect("eve");
  // Same user id in another tenant: must never see this tenant's jobs.
  const twin = await connect("dj", uniqueTenant());
  const eveRec = recorder(eve);
  const twinRec = recorder(twin);

  const job = Job.parse(data(await emitAck(boss, "test:create-job", NEW_JOB)));
  expect(job).toMatchObject({ status: "NEW", createdBy: "boss" });

  const assignedSeen = waitFor(dj, "job:assigned");
  const notifSeen = waitFor(dj, "notification:new");
  const aliasSeen = waitFor(dj, "notification");
  const countSeen = waitFor(dj, "notification:unread-count", { filter: (d: { count: number }) => d.count === 1 });
  const bossChange = waitFor(boss, "job:status-changed");
  const assigned = Job.parse(data(await emitAck(boss, "test:assign-job", { jobId: job.id, assigneeId: "dj" })));
  expect(assigned).toMatchObject({ status: "ASSIGNED", assigneeId: "dj" });
  expect(JobAssigned.parse(await assignedSeen)).toMatchObject({ jobId: job.id, assignedBy: "boss", job: { status: "ASSIGNED" } });
  expect(JobStatusChanged.parse(await bossChange)).toMatchObject({ jobId: job.id, from: "NEW", to: "ASSIGNED", by: "boss" });
  // The stored notification comes through the domain event, on all the assignee's sockets.
  const n = Notification.parse(await notifSeen);
  expect(n).toMatchObject({ userId: "dj", type: "job_assigned", data: { jobId: job.id } });
  expect(await aliasSeen).toEqual(n);
  await countSeen;

  expectRefused(await emitAck(eve, "job:start", { jobId: job.id }), "FORBIDDEN");
  expectRefused(await emitAck(twin, "job:start", { jobId: job.id }), "NOT_FOUND");
  expectRefused(await emitAck(dj, "job:complete", { jobId: job.id }), "CONFLICT");
  expectRefused(await emitAck(dj, "job:start", { jobId: "nope" }), "VALIDATION");
  // Without an ack the refusal comes back as an `error` event.
  const err = waitFor(eve, "error");
  eve.emit("job:start", { jobId: job.id });
  expect(await err).toMatchObject({ event: "job:start", code: "FORBIDDEN" });

  for (const [event, ev, to, extra] of [
    ["job:start", "job:started", "IN_PROGRESS", {}],
    ["job:complete", "job:completed", "COMPLETED", { note: "Great set" }],
  ] as const) {
    const seen = Promise.all([dj, boss].flatMap((s) => [waitFor(s, ev), waitFor(s, "job:status-changed")]));
    const ack = Job.parse(data(await emitAck(dj, event, { jobId: job.id, ...extra })));
    expect(ack.status).toBe(to);
    const [djEv, djChange, bossEv, bossChangeAgain] = await seen;
    for (const e of [djEv, bossEv]) expect(JobTransition.parse(e)).toMatchObject({ jobId: job.id, by: "dj", job: { status: to } });
    for (const c of [djChange, bossChangeAgain]) expect(JobStatusChanged.parse(c)).toMatchObject({ jobId: job.id, to, by: "dj" });
  }

  await expectNone(twin, "job:completed", 300);
  const leaked = [...eveRec.events, ...twinRec.events].filter((e) => e.event.startsWith("job:") || e.event.startsWith("notification"));
  expect(leaked).toEqual([]);

  const read = await p.fetch(`/api/jobs/${job.id}`, { token: await p.token({ sub: "boss" }) });
  expect(read.status).toBe(200);
  expect(await read.json()).toMatchObject({ id: job.id, status: "COMPLETED", note: "Great set", assigneeId: "dj" });
  expect((await p.fetch(`/api/jobs/${job.id}`, { token: await p.token({ sub: "eve" }) })).status).toBe(403);
  expect((await p.fetch(`/api/jobs/${job.id}`, { token: await p.token({ sub: "dj", tenantId: uniqueTenant() }) })).status).toBe(404);
});

test("REST create and assign reach the assignee's socket too", async () => {
  const dj = await connect("dj2");
  const token = await p.token({ sub: "boss2" });
  const created = await p.fetch("/api/jobs", { method: "POST", token, json: NEW_JOB });
  expect(created.status).toBe(201);
  const job = Job.parse(await created.json());
  const seen = waitFor(dj, "job:assigned");
  const assigned = await p.fetch(`/api/jobs/${job.id}/assign`, { method: "POST", token, json: { assigneeId: "dj2" } });
  expect(assigned.status).toBe(200);
  expect(await seen).toMatchObject({ jobId: job.id, assignedBy: "boss2" });
  expect((await p.fetch("/api/jobs", { method: "POST", json: NEW_JOB })).status).toBe(401);
});
