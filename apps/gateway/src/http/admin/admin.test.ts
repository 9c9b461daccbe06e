import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { realtime } from "@rt/sdk";
import { emitAck, sseEvents, startPlatform, TEST_ADMIN_KEY, waitFor, type TestPlatform } from "@rt/testkit";

setDefaultTimeout(20_000);

/**
 * The cluster-wide server API over HTTP, on one gateway (embedded and nats modes; the
 * two-gateway case is admin.cluster.test.ts). Every call goes over the bus to every gateway
 * seen in the heartbeats, this one included.
 */
type Line = Record<string, unknown> & { msg: string };
const raw: string[] = [];
const lines = () => raw.map((l) => JSON.parse(l) as Line);

let p: TestPlatform;
beforeAll(async () => {
  p = await startPlatform({ env: { ADMIN_API_KEY: TEST_ADMIN_KEY, LOG_LEVEL: "info" }, logDestination: { write: (s: string) => void raw.push(s) } });
});
afterAll(async () => {
  await p?.stop();
});

const admin = (path: string, init: RequestInit & { json?: unknown; token?: string } = {}) => p.fetch(`/api/admin${path}`, { token: TEST_ADMIN_KEY, ...init });

describe("credentials", () => {
  test("no credential is 401, a wrong key 401, the seeds' tenant `admin` role 403 (ADMIN_ROLES is empty by default)", async () => {
    expect((await p.fetch("/api/admin/connections")).status).toBe(401);
    expect((await admin("/connections", { token: "not-the-admin-key-at-all" })).status).toBe(401);
    const seedAdmin = await p.token({ sub: "boss", roles: ["admin", "pdg"] });
    for (const path of ["/connections", "/counts", "/tap", "/whoami"]) {
      const r = await admin(path, { token: seedAdmin });
      expect(r.status, path).toBe(403);
      expect((await r.json()).error.code).toBe("FORBIDDEN");
    }
    expect(await (await admin("/whoami")).json()).toEqual({ actor: "admin-api-key", platform: true, tenantId: null });
    // The console is off unless ADMIN_CONSOLE=true (the cluster test drives it when on).
    expect((await p.fetch("/admin")).status).toBe(404);
  });
});

describe("with the platform key", () => {
  test("lists connections of a tenant with user, gateway, transport, since and rooms; filters by user and room; counts; rooms", async () => {
    const ann = await p.token({ sub: "ann", roles: ["ops"] });
    const room = await (await p.fetch("/api/chat/rooms", { method: "POST", token: ann, json: { name: "general", memberIds: ["bob"] } })).json();
    const a1 = await p.connect({ sub: "ann", roles: ["ops"] });
    await p.connect({ sub: "ann", roles: ["ops"], transports: ["polling"] });
    const b = await p.connect({ sub: "bob" });
    expect((await emitAck(a1, "join_room", { roomId: room.id })).ok).toBe(true);
    expect((await emitAck(b, "join_room", { roomId: room.id })).ok).toBe(true);

    const all = await (await admin(`/connections?tenantId=${p.tenant}`)).json();
    expect(all.missing).toEqual([]);
    expect(all.gateways.length).toBe(1);
    expect(all.connections.length).toBe(3);
    const first = all.connections.find((c: { socketId: string }) => c.socketId === a1.id);
    expect(first).toMatchObject({ gatewayId: all.gateways[0], tenantId: p.tenant, userId: "ann", transport: "websocket", since: expect.any(String) });
    expect(first.rooms.sort()).toEqual(["presence:user", "role:ops", `room:${room.id}`, "tenant", "user:ann"].sort());
    expect(all.connections.map((c: { transport: string }) => c.transport).sort()).toEqual(["polling", "websocket", "websocket"]);

    const anns = await (await admin(`/connections?tenantId=${p.tenant}&userId=ann`)).json();
    expect(anns.connections.map((c: { userId: string }) => c.userId)).toEqual(["ann", "ann"]);
    const inRoom = await (await admin(`/connections?tenantId=${p.tenant}&roomId=${room.id}`)).json();
    expect(inRoom.connections.map((c: { socketId: string }) => c.socketId).sort()).toEqual([a1.id, b.id].sort());

    const counts = await (await admin(`/counts?tenantId=${p.tenant}`)).json();
    expect(counts).toMatchObject({ total: 3, byTenant: { [p.tenant]: 3 }, missing: [] });
    const rooms = await (await admin(`/rooms?tenantId=${p.tenant}`)).json();
    expect(rooms.rooms).toEqual([{ roomId: String(room.id), sockets: 2, users: 2 }]);

    // Leave: ann's sockets leave the room everywhere; a message there no longer reaches her.
    const left = await (await admin("/leave", { method: "POST", json: { tenantId: p.tenant, userId: "ann", roomId: room.id } })).json();
    expect(left).toMatchObject({ count: 1, missing: [] });
    const after = await (await admin(`/connections?tenantId=${p.tenant}&roomId=${room.id}`)).json();
    expect(after.connections.map((c: { userId: string }) => c.userId)).toEqual(["bob"]);
  });

  test("disconnects a user everywhere with a reason the client receives; others stay; the call is logged with who did it", async () => {
    const u1 = await p.connect({ sub: "mallory" });
    const u2 = await p.connect({ sub: "mallory" });
    const other = await p.connect({ sub: "carol" });
    const told = [waitFor(u1, "error"), waitFor(u2, "error")];
    const gone = [waitFor(u1, "disconnect"), waitFor(u2, "disconnect")];
    raw.length = 0;
    const r = await (await admin("/disconnect", { method: "POST", json: { tenantId: p.tenant, userId: "mallory", reason: "abuse report 42" } })).json();
    expect(r).toMatchObject({ count: 2, missing: [] });
    for (const e of await Promise.all(told)) expect(e).toMatchObject({ event: "admin", code: "FORBIDDEN", message: expect.stringContaining("abuse report 42") });
    expect(await Promise.all(gone)).toEqual(["io server disconnect", "io server disconnect"]);
    expect(other.connected).toBe(true);
    await Bun.sleep(50);
    expect(lines().find((l) => l.msg === "admin call" && l.path === "/api/admin/disconnect")).toMatchObject({ actor: "admin-api-key", platform: true });
    expect(lines().find((l) => l.msg === "admin action")).toMatchObject({ actor: "admin-api-key", op: "disconnect", result: { count: 2 } });

    const bySocket = await (await admin("/disconnect", { method: "POST", json: { socketId: other.id, reason: "bye" } })).json();
    expect(bySocket.count).toBe(1);
  });

  test("bad inputs are typed VALIDATION errors", async () => {
    const noTarget = await admin("/disconnect", { method: "POST", json: { tenantId: p.tenant, reason: "x" } });
    expect(noTarget.status).toBe(400);
    expect((await noTarget.json()).error.code).toBe("VALIDATION");
    expect((await admin("/connections?userId=u1")).status).toBe(400); // a user id means nothing without its tenant
    expect((await admin("/rooms")).status).toBe(400);
    expect((await admin("/disconnect", { method: "POST", body: "{not json" })).status).toBe(400);
  });

  test("live tap streams the envelopes delivered to one tenant, not another's; a third tap of one caller is refused", async () => {
    const res = await admin(`/tap?tenantId=${p.tenant}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const sse = sseEvents(res);
    expect(await sse.next("ready")).toMatchObject({ tenantId: p.tenant });
    await realtime(p.platform.bus, "someone-else").broadcastSystemNotification({ title: "not yours", message: "" });
    await realtime(p.platform.bus, p.tenant).broadcastSystemNotification({ title: "maintenance", message: "at noon" });
    // Earlier tests' presence of this tenant may still be on its way (a batch window closing, CI
    // saw one in nats mode): it may come first, another tenant's envelope never.
    let env = await sse.next("envelope");
    while (env.event === "presence:batch" && env.tenantId === p.tenant) env = await sse.next("envelope");
    expect(env).toMatchObject({ tenantId: p.tenant, event: "system-notification", data: { title: "maintenance" } });

    const second = await admin(`/tap?tenantId=${p.tenant}`);
    expect(second.status).toBe(200);
    const third = await admin(`/tap?tenantId=${p.tenant}`);
    expect(third.status).toBe(429);
    expect((await third.json()).error.code).toBe("RATE_LIMITED");
    await second.body?.cancel();
    await sse.close();
  });

  test("a tap gets at most 50 envelopes a second; the rest are counted in `dropped`", async () => {
    // The previous test's taps count until the gateway notices they closed (at the next keep-alive).
    let res = await admin(`/tap?tenantId=${p.tenant}`);
    for (let i = 0; res.status === 429 && i < 50; i++) {
      await Bun.sleep(100);
      res = await admin(`/tap?tenantId=${p.tenant}`);
    }
    const sse = sseEvents(res);
    await sse.next("ready");
    const rt = realtime(p.platform.bus, p.tenant);
    await Promise.all(Array.from({ length: 150 }, (_, i) => rt.emitToUser("nobody", "flood", { i })));
    const dropped = await sse.next("dropped");
    expect(dropped.count).toBeGreaterThan(0);
    expect(dropped.count).toBeLessThanOrEqual(100);
    await sse.close();
  });
});

describe("a tenant admin (a role of ADMIN_ROLES)", () => {
  let q: TestPlatform;
  beforeAll(async () => {
    q = await startPlatform({ env: { ADMIN_ROLES: "ops" } });
  });
  afterAll(async () => {
    await q?.stop();
  });

  test("sees and acts on its own tenant only; platform-wide views are refused", async () => {
    const ops = await q.token({ sub: "op", roles: ["ops"] });
    const eve = await q.connect({ sub: "eve", tenantId: "other-tenant" });
    const mine = await q.connect({ sub: "dan" });
    const f = (path: string, init: RequestInit & { json?: unknown } = {}) => q.fetch(`/api/admin${path}`, { token: ops, ...init });

    expect(await (await f("/whoami")).json()).toEqual({ actor: `user:${q.tenant}/op`, platform: false, tenantId: q.tenant });
    const list = await (await f("/connections")).json();
    expect(list.connections.map((c: { userId: string }) => c.userId)).toEqual(["dan"]);
    expect((await f("/connections?tenantId=other-tenant")).status).toBe(403);
    expect((await f("/disconnect", { method: "POST", json: { tenantId: "other-tenant", userId: "eve", reason: "x" } })).status).toBe(403);
    // Another tenant's socket id is not found in the caller's tenant.
    const bySocket = await (await f("/disconnect", { method: "POST", json: { socketId: eve.id, reason: "x" } })).json();
    expect(bySocket.count).toBe(0);
    expect(eve.connected).toBe(true);
    expect((await f("/stats")).status).toBe(403);
    expect((await f("/gateways")).status).toBe(403);
    const counts = await (await f("/counts")).json();
    expect(counts.byTenant).toEqual({ [q.tenant]: 1 });
    expect(mine.connected).toBe(true);
  });
});
