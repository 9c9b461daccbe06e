import { describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { MarkedRead, Notification, NotificationDeleted, domainEvents, subjects } from "@rt/contracts";
import { expectRefused as refused, okData as ok, startServices, uniqueTenant, delivered, eventually, expectSafeMessage, settle, servicesForFile } from "@rt/testkit";
import { jobsService } from "../../jobs/src/service.ts";
import { notificationsService } from "./service.ts";
import { notifications } from "./schema.ts";

const KEY = "test-publish-key-0123456789-abcdef";
const h = servicesForFile([jobsService, notificationsService], { env: { PUBLISH_API_KEY: KEY } });

const as = (tenantId: string, userId: string) => ({ tenantId, userId });
const SAMPLE = { type: "job_assigned", priority: "HIGH", title: "Test Notification", message: "This is a test" };

async function create(t: string, u: string, input: object = SAMPLE): Promise<Notification> {
  return Notification.parse(ok(await h.call("notifications.create", as(t, u), input)));
}
/** The unread counts delivered to a user so far, in order. */
const counts = (t: string, u: string) => delivered(h, t, "notification:unread-count", u).map((d) => d.data.count);

describe("notification actions", () => {
  test("create (test:notification): stored for the caller, then notification:new and the count", async () => {
    const t = uniqueTenant();
    const n = await create(t, "u1", { ...SAMPLE, userId: "someone-else" });
    expect(n).toMatchObject({
      userId: "u1",
      type: "job_assigned",
      priority: "HIGH",
      title: "Test Notification",
      message: "This is a test",
      readAt: null,
      data: null,
      actionUrl: null,
    });
    await eventually(() => counts(t, "u1").length === 1);
    const seq = delivered(h, t, undefined, "u1");
    expect(seq.map((d) => d.event)).toEqual(["notification:new", "notification:unread-count"]);
    expect(seq[0]!.target).toEqual({ kind: "user", id: "u1" });
    expect(Notification.parse(seq[0]!.data)).toEqual(n);
    expect(seq[1]!.data).toMatchObject({ count: 1, timestamp: expect.any(String) });
    expect(ok(await h.call("notifications.unread-count", as(t, "u1")))).toEqual({ count: 1 });
    expect(ok(await h.call("notifications.unread-count", as(t, "u2")))).toEqual({ count: 0 });
  });

  test("create: defaults and validation", async () => {
    const t = uniqueTenant();
    const n = await create(t, "u1", { title: "Only a title", data: { a: [1, 2] } });
    expect(n).toMatchObject({ type: "info", priority: "NORMAL", message: "", data: { a: [1, 2] } });
    refused(await h.call("notifications.create", as(t, "u1"), { ...SAMPLE, title: undefined }), "VALIDATION");
    refused(await h.call("notifications.create", as(t, "u1"), { ...SAMPLE, priority: "SUPER" }), "VALIDATION");
    refused(await h.call("notifications.create", as(t, "u1"), "nope"), "VALIDATION");
  });

  test("read: owner only, marked-read then the count", async () => {
    const t = uniqueTenant();
    const n = await create(t, "u1");
    await create(t, "u1");
    refused(await h.call("notifications.notification:read", as(t, "u2"), { notificationId: n.id }), "NOT_FOUND");
    refused(await h.call("notifications.notification:read", as(uniqueTenant(), "u1"), { notificationId: n.id }), "NOT_FOUND");
    refused(await h.call("notifications.notification:read", as(t, "u1"), { notificationId: 987_654_321_012 }), "NOT_FOUND");
    refused(await h.call("notifications.notification:read", as(t, "u1"), { notificationId: "abc" }), "VALIDATION");
    refused(await h.call("notifications.notification:read", as(t, "u1"), {}), "VALIDATION");

    const read = Notification.parse(ok(await h.call("notifications.notification:read", as(t, "u1"), { notificationId: String(n.id) })));
    expect(read.id).toBe(n.id);
    expect(read.readAt).not.toBeNull();
    await eventually(() => delivered(h, t, "notification:marked-read", "u1").length === 1);
    await eventually(() => counts(t, "u1").at(-1) === 1);
    const seq = delivered(h, t, undefined, "u1").map((d) => d.event);
    expect(seq.slice(-2)).toEqual(["notification:marked-read", "notification:unread-count"]);
    expect(MarkedRead.parse(delivered(h, t, "notification:marked-read", "u1")[0]!.data)).toMatchObject({ notificationIds: [n.id] });
    expect(delivered(h, t, undefined, "u2")).toEqual([]);
  });

  test("read-all: only the caller's, all: true, count 0", async () => {
    const t = uniqueTenant();
    const a = await create(t, "u1");
    const b = await create(t, "u1");
    await create(t, "u2");
    const r = ok(await h.call("notifications.notification:read-all", as(t, "u1"), { anything: 1 }));
    expect(r).toEqual({ notificationIds: [a.id, b.id], count: 0 });
    const [m] = await eventually(() => delivered(h, t, "notification:marked-read", "u1").length === 1 && delivered(h, t, "notification:marked-read", "u1"));
    expect(MarkedRead.parse(m!.data)).toMatchObject({ notificationIds: [a.id, b.id], all: true });
    await eventually(() => counts(t, "u1").at(-1) === 0);
    expect(ok(await h.call("notifications.unread-count", as(t, "u2")))).toEqual({ count: 1 });
  });

  test("delete: owner only, notification:deleted then the count", async () => {
    const t = uniqueTenant();
    const n = await create(t, "u1");
    refused(await h.call("notifications.notification:delete", as(t, "u2"), { notificationId: n.id }), "NOT_FOUND");
    expect(ok(await h.call("notifications.notification:delete", as(t, "u1"), { notificationId: n.id }))).toEqual({ notificationId: n.id });
    refused(await h.call("notifications.notification:delete", as(t, "u1"), { notificationId: n.id }), "NOT_FOUND");
    const [d] = await eventually(() => delivered(h, t, "notification:deleted", "u1").length === 1 && delivered(h, t, "notification:deleted", "u1"));
    expect(NotificationDeleted.parse(d!.data).notificationId).toBe(n.id);
    await eventually(() => counts(t, "u1").at(-1) === 0);
  });
});

describe("notifications REST (bearer)", () => {
  test("list newest first with unread filter and cursor; count; read; read-all; delete", async () => {
    const t = uniqueTenant();
    const ns = [];
    for (let i = 0; i < 5; i++) ns.push(await create(t, "u1", { ...SAMPLE, title: `n${i}` }));
    await create(t, "u2");

    const page1 = await h.http("GET", "/api/notifications?limit=2", { ctx: as(t, "u1") });
    expect(page1.status).toBe(200);
    expect(page1.json.notifications.map((n: Notification) => n.title)).toEqual(["n4", "n3"]);
    const page2 = await h.http("GET", `/api/notifications?limit=2&before=${page1.json.nextBefore}`, { ctx: as(t, "u1") });
    expect(page2.json.notifications.map((n: Notification) => n.title)).toEqual(["n2", "n1"]);

    const read = await h.http("POST", `/api/notifications/${ns[4]!.id}/read`, { ctx: as(t, "u1") });
    expect(read.status).toBe(200);
    expect(Notification.parse(read.json).readAt).not.toBeNull();
    const unread = await h.http("GET", "/api/notifications?unread=true", { ctx: as(t, "u1") });
    expect(unread.json.notifications.map((n: Notification) => n.title)).toEqual(["n3", "n2", "n1", "n0"]);
    expect(unread.json.nextBefore).toBeNull();
    expect((await h.http("GET", "/api/notifications/unread-count", { ctx: as(t, "u1") })).json).toEqual({ count: 4 });

    const del = await h.http("DELETE", `/api/notifications/${ns[0]!.id}`, { ctx: as(t, "u1") });
    expect(del.status).toBe(200);
    const all = await h.http("POST", "/api/notifications/read-all", { ctx: as(t, "u1") });
    expect(all.status).toBe(200);
    expect(all.json.count).toBe(0);
    expect((await h.http("GET", "/api/notifications/unread-count", { ctx: as(t, "u1") })).json).toEqual({ count: 0 });
    expect((await h.http("GET", "/api/notifications/unread-count", { ctx: as(t, "u2") })).json).toEqual({ count: 1 });
    await eventually(() => delivered(h, t, "notification:deleted", "u1").length === 1);
  });

  test("refusals: 401 without a token, 404 for others' notifications, 400 for bad input", async () => {
    const t = uniqueTenant();
    const n = await create(t, "u1");
    const cases: Array<[Promise<{ status: number; json: any }>, number, string]> = [
      [h.http("GET", "/api/notifications"), 401, "UNAUTHENTICATED"],
      [h.http("GET", "/api/notifications/unread-count"), 401, "UNAUTHENTICATED"],
      [h.http("POST", `/api/notifications/${n.id}/read`), 401, "UNAUTHENTICATED"],
      [h.http("POST", "/api/notifications/read-all"), 401, "UNAUTHENTICATED"],
      [h.http("DELETE", `/api/notifications/${n.id}`), 401, "UNAUTHENTICATED"],
      [h.http("POST", `/api/notifications/${n.id}/read`, { ctx: as(t, "u2") }), 404, "NOT_FOUND"],
      [h.http("DELETE", `/api/notifications/${n.id}`, { ctx: as(t, "u2") }), 404, "NOT_FOUND"],
      [h.http("DELETE", `/api/notifications/${n.id}`, { ctx: as(uniqueTenant(), "u1") }), 404, "NOT_FOUND"],
      [h.http("POST", "/api/notifications/x1/read", { ctx: as(t, "u1") }), 400, "VALIDATION"],
      [h.http("GET", "/api/notifications?limit=1000", { ctx: as(t, "u1") }), 400, "VALIDATION"],
      [h.http("GET", "/api/notifications?unread=maybe", { ctx: as(t, "u1") }), 400, "VALIDATION"],
    ];
    for (const [p, status, code] of cases) {
      const r = await p;
      expect({ status: r.status, code: r.json?.error?.code }).toEqual({ status, code });
      expectSafeMessage(r.json.error.message);
    }
    expect((await h.http("GET", "/api/notifications/unread-count", { ctx: as(t, "u1") })).json).toEqual({ count: 1 });
  });
});

describe("POST /api/notifications (publish API key)", () => {
  const BODY = { userId: "u9", title: "Invoice paid", message: "Thanks", priority: "URGENT", data: { invoiceId: 4 }, actionUrl: "/invoices/4" };

  test("with the key: stored in the named tenant and delivered → 201", async () => {
    const t = uniqueTenant();
    const r = await h.http("POST", "/api/notifications", { headers: { "X-Api-Key": KEY }, body: { ...BODY, tenantId: t } });
    expect(r.status).toBe(201);
    expect(Notification.parse(r.json)).toMatchObject({ userId: "u9", type: "info", priority: "URGENT", data: { invoiceId: 4 }, actionUrl: "/invoices/4" });
    await eventually(() => delivered(h, t, "notification:new", "u9").length === 1);
    await eventually(() => counts(t, "u9").at(-1) === 1);
    expect((await h.http("GET", "/api/notifications", { ctx: as(t, "u9") })).json.notifications).toEqual([r.json]);
  });

  test("missing or wrong key, or only a bearer token → 401; bad body → 400", async () => {
    const t = uniqueTenant();
    const body = { ...BODY, tenantId: t };
    for (const headers of [{}, { "X-Api-Key": "wrong-key-wrong-key-wrong" }, { "X-Api-Key": "" }] as Record<string, string>[]) {
      const r = await h.http("POST", "/api/notifications", { headers, body });
      expect(r.status).toBe(401);
      expect(r.json.error.code).toBe("UNAUTHENTICATED");
    }
    const bearer = await h.http("POST", "/api/notifications", { ctx: as(t, "u9"), body });
    expect(bearer.status).toBe(401);
    for (const bad of [{ ...body, tenantId: undefined }, { ...body, title: "" }, { ...body, priority: "LOUD" }, "{oops"]) {
      const r = await h.http("POST", "/api/notifications", { headers: { "X-Api-Key": KEY }, body: bad });
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe("VALIDATION");
    }
    await settle(h);
    expect(delivered(h, t)).toEqual([]);
    expect((await h.http("GET", "/api/notifications/unread-count", { ctx: as(t, "u9") })).json).toEqual({ count: 0 });
  });

  test("a platform without PUBLISH_API_KEY refuses every key", async () => {
    const bare = await startServices([notificationsService], { mode: "embedded" });
    try {
      const r = await bare.http("POST", "/api/notifications", { headers: { "X-Api-Key": KEY }, body: { ...BODY, tenantId: uniqueTenant() } });
      expect(r.status).toBe(401);
    } finally {
      await bare.stop();
    }
  });
});

describe("jobs.assigned domain events", () => {
  const subject = subjects.evt(domainEvents.jobAssigned.domain, domainEvents.jobAssigned.fact);
  const job = (id: number, assigneeId: string | null) => ({
    id,
    projectId: 1,
    jobTypeId: 1,
    subject: "Gig",
    status: "ASSIGNED",
    createdBy: "boss",
    assigneeId,
    note: null,
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
  });

  test("a redelivered event stores one notification; malformed events are dropped", async () => {
    const t = uniqueTenant();
    const id = crypto.randomUUID();
    const evt = { id, tenantId: t, ts: Date.now(), data: { job: job(77, "dj"), assignedBy: "boss" } };
    await h.bus.publishEvent(subject, { id: crypto.randomUUID(), tenantId: t, ts: Date.now(), data: { nope: 1 } }, { msgId: crypto.randomUUID() });
    await h.bus.publishEvent(subject, { ...evt, data: { job: job(78, null), assignedBy: "boss" } }, { msgId: crypto.randomUUID() });
    // Two publishes of one event (different bus message ids) as a redelivery would look.
    await h.bus.publishEvent(subject, evt, { msgId: crypto.randomUUID() });
    await h.bus.publishEvent(subject, evt, { msgId: crypto.randomUUID() });
    await eventually(() => delivered(h, t, "notification:new", "dj").length === 1);
    await settle(h);
    const rows = await h.db.db
      .select()
      .from(notifications)
      .where(and(eq(notifications.tenantId, t)));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ userId: "dj", type: "job_assigned", sourceEventId: id, data: { jobId: 77, assignedBy: "boss" } });
    expect(delivered(h, t, "notification:new")).toHaveLength(1);
  });
});
