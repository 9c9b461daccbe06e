import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ArtisanApproved, ArtisanRejected, ArtisanRequest, MarkedRead, Notification } from "@rt/contracts";
import { TEST_API_KEY, emitAck, expectNone, recorder, startPlatform, uniqueTenant, waitFor, type ClientSocket, type TestPlatform } from "@rt/testkit";

// Seeds 000 and 004 over real sockets: the gateway and the notifications service together.
let p: TestPlatform;
beforeAll(async () => {
  p = await startPlatform();
}, 30_000);
afterAll(() => p?.stop());

const SAMPLE = { type: "job_assigned", priority: "HIGH", title: "Test Notification", message: "This is a test" };

function data<T>(ack: { ok: boolean; data?: unknown; error?: { code: string } }): T {
  if (!ack.ok) throw new Error(`refused: ${ack.error?.code}`);
  return ack.data as T;
}

/** A connected socket whose on-connect unread count has arrived (and is `initial`). */
async function connect(sub: string, o: { tenantId?: string; roles?: string[]; initial?: number } = {}): Promise<ClientSocket> {
  const s = await p.connect({ sub, ...(o.tenantId ? { tenantId: o.tenantId } : {}), ...(o.roles ? { roles: o.roles } : {}) });
  const rec = recorder(s);
  for (let i = 0; i < 150 && rec.of("notification:unread-count").length === 0; i++) await Bun.sleep(20);
  expect(rec.of("notification:unread-count")).toMatchObject([{ count: o.initial ?? 0 }]);
  return s;
}
const countOn = (s: ClientSocket, count: number) => waitFor(s, "notification:unread-count", { filter: (d: { count: number }) => d.count === count });

describe("notifications (seed 000)", () => {
  test("one user, two sockets: every change reaches both; others and other tenants hear nothing", async () => {
    const [tabA, tabB] = [await connect("ana"), await connect("ana")];
    const bob = await connect("bob");
    const twin = await connect("ana", { tenantId: uniqueTenant() });
    const bobRec = recorder(bob);
    const twinRec = recorder(twin);

    // test:notification stores one for the sender: new + legacy alias + count, on both tabs.
    const first = Promise.all([tabA, tabB].flatMap((s) => [waitFor(s, "notification:new"), waitFor(s, "notification"), countOn(s, 1)]));
    const created = Notification.parse(data(await emitAck(tabA, "test:notification", { ...SAMPLE, userId: "bob" })));
    expect(created).toMatchObject({ userId: "ana", type: "job_assigned", priority: "HIGH", readAt: null });
    for (const got of (await first).filter((d) => "id" in (d as object))) expect(got).toEqual(created);

    // A server-side publisher (API key) reaches the same sockets.
    const second = Promise.all([tabA, tabB].flatMap((s) => [waitFor(s, "notification:new"), countOn(s, 2)]));
    const published = await p.fetch("/api/notifications", {
      method: "POST",
      headers: { "X-Api-Key": TEST_API_KEY },
      json: { tenantId: p.tenant, userId: "ana", title: "Invoice paid", message: "Thanks", priority: "URGENT" },
    });
    expect(published.status).toBe(201);
    const pub = Notification.parse(await published.json());
    expect((await second)[0]).toEqual(pub);

    // Read on one tab: both tabs see it marked and the count drop.
    const marked = Promise.all([tabA, tabB].flatMap((s) => [waitFor(s, "notification:marked-read"), countOn(s, 1)]));
    expect(data<Notification>(await emitAck(tabB, "notification:read", { notificationId: created.id })).readAt).not.toBeNull();
    for (const m of (await marked).filter((d) => "notificationIds" in (d as object))) expect(MarkedRead.parse(m)).toMatchObject({ notificationIds: [created.id] });

    // Somebody else's notification does not exist for them.
    for (const ev of ["notification:read", "notification:delete"]) {
      const ack = await emitAck(bob, ev, { notificationId: pub.id });
      expect(ack).toEqual({ ok: false, error: { code: "NOT_FOUND", message: expect.any(String) } });
    }
    expect((await emitAck(twin, "notification:read", { notificationId: pub.id })).ok).toBe(false);

    const deleted = Promise.all([tabA, tabB].flatMap((s) => [waitFor(s, "notification:deleted"), countOn(s, 0)]));
    expect((await emitAck(tabA, "notification:delete", { notificationId: pub.id })).ok).toBe(true);
    expect((await deleted)[0]).toMatchObject({ notificationId: pub.id, timestamp: expect.any(String) });

    const two = countOn(tabB, 2);
    await emitAck(tabA, "test:notification", SAMPLE);
    await emitAck(tabA, "test:notification", SAMPLE);
    await two;
    const all = Promise.all([tabA, tabB].flatMap((s) => [waitFor(s, "notification:marked-read"), countOn(s, 0)]));
    expect((await emitAck(tabA, "notification:read-all", {})).ok).toBe(true);
    expect((await all)[0]).toMatchObject({ all: true, timestamp: expect.any(String) });

    await expectNone(bob, "notification:new", 200);
    const leaked = [...bobRec.events, ...twinRec.events].filter((e) => e.event.startsWith("notification") && e.event !== "notification:unread-count");
    expect(leaked).toEqual([]);
    expect(twinRec.of("notification:unread-count")).toEqual([]);

    // REST view of the same inbox; a bearer token alone cannot publish.
    const token = await p.token({ sub: "ana" });
    const list = await p.fetch("/api/notifications?limit=10", { token });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { notifications: Notification[] }).notifications).toHaveLength(3);
    expect(await (await p.fetch("/api/notifications/unread-count", { token })).json()).toEqual({ count: 0 });
    expect((await p.fetch("/api/notifications", { method: "POST", token, json: { tenantId: p.tenant, userId: "ana", title: "x" } })).status).toBe(401);
  });

  test("a new socket gets the stored unread count on connect", async () => {
    const s = await connect("cara");
    const one = countOn(s, 1);
    await emitAck(s, "test:notification", SAMPLE);
    await one;
    s.close();
    await connect("cara", { initial: 1 });
  });
});

describe("artisan approval requests (seed 004)", () => {
  test("pdg users get new / approved / rejected; a non-pdg user and another tenant's pdg get nothing", async () => {
    const pdg1 = await connect("pdg1", { roles: ["pdg"] });
    const pdg2 = await connect("pdg2", { roles: ["pdg"] });
    const clerk = await connect("clerk");
    const otherPdg = await connect("pdg1", { tenantId: uniqueTenant(), roles: ["pdg"] });
    const clerkRec = recorder(clerk);
    const otherRec = recorder(otherPdg);
    const clerkToken = await p.token({ sub: "clerk" });
    const pdgToken = await p.token({ sub: "pdg1", roles: ["pdg"] });

    const news = Promise.all([waitFor(pdg1, "artisan-request:new"), waitFor(pdg2, "artisan-request:new")]);
    const res = await p.fetch("/api/approvals/artisan-requests", {
      method: "POST",
      token: clerkToken,
      json: { contact_id: 123, nom_complet: "Test Artisan", email: "test@example.com", type_compte: "Artisan/Promoteur" },
    });
    expect(res.status).toBe(201);
    const req = ArtisanRequest.parse(await res.json());
    for (const seen of await news) expect(seen).toEqual(req);

    const viaKey = waitFor(pdg2, "artisan-request:new");
    const keyed = await p.fetch("/api/approvals/artisan-requests", {
      method: "POST",
      headers: { "X-Api-Key": TEST_API_KEY },
      json: { tenantId: p.tenant, contact_id: 124, nom_complet: "Second", email: "second@example.com" },
    });
    expect(keyed.status).toBe(201);
    const second = ArtisanRequest.parse(await keyed.json());
    expect((await viaKey).id).toBe(second.id);

    expect((await p.fetch("/api/approvals/artisan-requests?status=pending", { token: clerkToken })).status).toBe(403);
    const pending = await p.fetch("/api/approvals/artisan-requests?status=pending", { token: pdgToken });
    expect(pending.status).toBe(200);
    expect(((await pending.json()) as { count: number }).count).toBe(2);

    expect((await p.fetch(`/api/approvals/artisan-requests/${req.id}/approve`, { method: "POST", token: clerkToken })).status).toBe(403);
    const approvedSeen = Promise.all([waitFor(pdg1, "artisan-request:approved"), waitFor(pdg2, "artisan-request:approved")]);
    // The seed's own path.
    const approved = await p.fetch(`/api/notifications/artisan-requests/${req.id}/approve`, { method: "POST", token: pdgToken });
    expect(approved.status).toBe(200);
    for (const seen of await approvedSeen)
      expect(ArtisanApproved.parse(seen)).toEqual({ contact_id: 123, nom_complet: "Test Artisan", email: "test@example.com", timestamp: expect.any(String) });
    expect((await p.fetch(`/api/approvals/artisan-requests/${req.id}/reject`, { method: "POST", token: pdgToken })).status).toBe(409);

    const rejectedSeen = waitFor(pdg1, "artisan-request:rejected");
    expect((await p.fetch(`/api/approvals/artisan-requests/${second.id}/reject`, { method: "POST", token: pdgToken })).status).toBe(200);
    expect(ArtisanRejected.parse(await rejectedSeen)).toEqual({ contact_id: 124, timestamp: expect.any(String) });

    await expectNone(otherPdg, "artisan-request:rejected", 200);
    expect([...clerkRec.events, ...otherRec.events].filter((e) => e.event.startsWith("artisan-request:"))).toEqual([]);
  });
});
