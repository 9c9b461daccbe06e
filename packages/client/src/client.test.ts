import { afterAll, afterEach, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { startPlatform, TEST_API_KEY, type TestPlatform, nextEvent, rejection } from "@rt/testkit";
import type { MintOptions } from "@rt/auth";
import { connect, type RealtimeClient, RealtimeError, type RejoinReport, type StateChange } from "./index.ts";

// Real servers (and a browser): the suite's 20 s per test, also under a plain `bun test`.
setDefaultTimeout(20_000);

let p: TestPlatform;
const open: RealtimeClient[] = [];

beforeAll(async () => {
  // In process even in cluster mode: a reconnect test disconnects a socket through p.platform.gateway.
  p = await startPlatform({ env: { RATE_LIMIT_DEFAULT: "1000", RATE_LIMIT_TYPING: "1000" }, inProcess: true });
}, 30_000);
afterEach(() => {
  for (const c of open.splice(0)) c.disconnect();
});
afterAll(() => p.stop());

/** A connected SDK client of the test tenant. */
async function client(o: Partial<MintOptions> & { sub: string }): Promise<RealtimeClient> {
  const c = connect({
    url: p.url,
    token: await p.token(o),
    transports: ["websocket"],
    socketOptions: { reconnectionDelay: 100, reconnectionDelayMax: 300 },
  });
  open.push(c);
  await c.whenConnected(5000);
  return c;
}

async function room(ownerToken: string, memberIds: string[]): Promise<{ id: number }> {
  const res = await p.fetch("/api/chat/rooms", { method: "POST", token: ownerToken, json: { name: "sdk", memberIds } });
  expect(res.status).toBe(201);
  return res.json();
}

const publish = (body: unknown) => p.fetch("/api/publish", { method: "POST", headers: { "x-api-key": TEST_API_KEY }, json: body });

describe("request", () => {
  test("resolves with the ack data, typed from the contracts", async () => {
    const a = await client({ sub: "req-a", name: "Ann" });
    const pong = await a.request("ping");
    expect(typeof pong.timestamp).toBe("string");

    const r = await room(await p.token({ sub: "req-a" }), ["req-b"]);
    // Inputs are the schemas' input side: a numeric string id is accepted.
    const joined = await a.request("join_room", { roomId: String(r.id) });
    expect(joined).toMatchObject({ userId: "req-a", roomId: r.id });
    const msg = await a.request("message:send", { roomId: r.id, content: "hello" });
    expect(msg).toMatchObject({ roomId: r.id, senderId: "req-a", content: "hello", type: "TEXT", sender: { id: "req-a", name: "Ann" } });
    const list = await a.request("presence:list");
    expect(list.users.map((u) => u.userId)).toContain("req-a");
  });

  test("rejects with a RealtimeError carrying the contract's error code", async () => {
    const a = await client({ sub: "rej-a" });
    const outsider = await client({ sub: "rej-c" });
    const r = await room(await p.token({ sub: "rej-a" }), []);

    const forbidden = await rejection(outsider.request("join_room", { roomId: r.id }));
    expect(forbidden).toBeInstanceOf(RealtimeError);
    expect(forbidden).toMatchObject({ code: "FORBIDDEN", event: "join_room" });

    const invalid = await rejection(a.request("message:send", { roomId: r.id, content: "" }));
    expect(invalid).toMatchObject({ code: "VALIDATION" });
    expect(invalid.message).toContain("content");

    expect(await rejection(a.request("notification:read", { notificationId: 987654321 }))).toMatchObject({ code: "NOT_FOUND" });
    // join-user-room with another user's id is the one FORBIDDEN that needs no setup.
    expect(await rejection(a.request("join-user-room", { userId: "someone-else" }))).toMatchObject({ code: "FORBIDDEN" });
  });

  test("no ack within the timeout rejects with UNAVAILABLE", async () => {
    const a = await client({ sub: "slow-a" });
    a.disconnect();
    const started = performance.now();
    const err = await rejection(a.request("ping", undefined, { timeoutMs: 150 }));
    expect(err).toMatchObject({ code: "UNAVAILABLE", event: "ping" });
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });
});

describe("events", () => {
  test("on / off / onAny deliver typed server events; emit failures arrive as `error`", async () => {
    const tokenA = await p.token({ sub: "ev-a", name: "Ann" });
    const a = await client({ sub: "ev-a", name: "Ann" });
    const b = await client({ sub: "ev-b", name: "Bob" });
    const r = await room(tokenA, ["ev-b"]);
    await a.request("join_room", { roomId: r.id });
    await b.request("join_room", { roomId: r.id });

    const seen: string[] = [];
    const offAny = b.onAny((event) => seen.push(event));
    const got: string[] = [];
    const onMessage = (m: { content: string; sender: { name: string } }) => got.push(`${m.sender.name}: ${m.content}`);
    b.on("message:new", onMessage);

    const typing = nextEvent(b, "user:typing");
    a.emit("user:typing", { roomId: r.id });
    expect(await typing).toMatchObject({ userId: "ev-a", roomId: r.id });

    const first = nextEvent(b, "message:new");
    a.emit("message:send", { roomId: r.id, content: "one" });
    await first;
    b.off("message:new", onMessage);
    const second = nextEvent(b, "message:new");
    await a.request("message:send", { roomId: r.id, content: "two" });
    expect((await second).content).toBe("two");
    expect(got).toEqual(["Ann: one"]);
    expect(seen).toContain("user:typing");
    expect(seen).toContain("message:new");
    offAny();

    const failed = nextEvent(a, "error");
    a.emit("message:send", { roomId: r.id, content: "" });
    expect(await failed).toMatchObject({ event: "message:send", code: "VALIDATION" });
  });

  test("a refused connection reports UNAUTHENTICATED and does not retry", async () => {
    const c = connect({ url: p.url, token: "not-a-token", transports: ["websocket"] });
    open.push(c);
    const err = await rejection(c.whenConnected(3000));
    expect(err).toBeInstanceOf(RealtimeError);
    expect(err.code).toBe("UNAUTHENTICATED");
    expect(c.state).toBe("disconnected");
  });

  test("with a bad token, a request made before and one made after the refusal reject at once with UNAUTHENTICATED", async () => {
    const c = connect({ url: p.url, token: "not-a-token" });
    open.push(c);
    const started = performance.now();
    const early = rejection(c.request("ping"));
    expect(await early).toMatchObject({ name: "RealtimeError", code: "UNAUTHENTICATED" });
    const late = await rejection(c.request("presence:list"));
    expect(late).toBeInstanceOf(RealtimeError);
    expect(late.code).toBe("UNAUTHENTICATED");
    expect(performance.now() - started).toBeLessThan(2000);
  });

  test("after the token expired, a request rejects at once with UNAUTHENTICATED until setToken", async () => {
    const a = await client({ sub: "tok-exp-req", ttl: 2 });
    await new Promise<void>((resolve) => a.onStateChange((s) => s.state === "disconnected" && resolve()));
    const started = performance.now();
    expect(await rejection(a.request("ping"))).toMatchObject({ code: "UNAUTHENTICATED" });
    expect(performance.now() - started).toBeLessThan(500);
    await a.setToken(await p.token({ sub: "tok-exp-req" }));
    expect(await a.request("ping")).toHaveProperty("timestamp");
  });
});

describe("setToken", () => {
  test("a fresher token before expiry keeps the same socket, past the old expiry, with its rooms", async () => {
    const a = await client({ sub: "tok-a", ttl: 2 });
    const b = await client({ sub: "tok-b" });
    const r = await room(await p.token({ sub: "tok-a" }), ["tok-b"]);
    await a.request("join_room", { roomId: r.id });
    await b.request("join_room", { roomId: r.id });
    await a.request("join-data-sync", { entityTypes: ["Rental"] });
    const states: StateChange[] = [];
    a.onStateChange((s) => states.push(s));
    const id = a.id;

    const user = await a.setToken(await p.token({ sub: "tok-a", name: "Ann Fresh" }));
    expect(user).toMatchObject({ id: "tok-a", name: "Ann Fresh", tenantId: p.tenant });
    expect(a.token).not.toBe("");
    await Bun.sleep(2600); // the first token has expired by now

    expect(a.connected).toBe(true);
    expect(a.id).toBe(id);
    expect(states).toEqual([]);
    const msg = nextEvent(a, "message:new");
    await b.request("message:send", { roomId: r.id, content: "still here?" });
    expect((await msg).content).toBe("still here?");
    const change = nextEvent(a, "data-change");
    expect((await publish({ tenantId: p.tenant, target: { kind: "sync", id: "Rental" }, event: "data-change", data: { action: "UPDATE", data: { id: 1 } } })).status).toBe(202);
    expect(await change).toMatchObject({ entityType: "Rental", action: "UPDATE" });
  });

  test("a token of another user is refused and the current one is kept", async () => {
    const a = await client({ sub: "tok-same" });
    const before = a.token;
    const err = await rejection(a.setToken(await p.token({ sub: "tok-other" })));
    expect(err).toMatchObject({ code: "UNAUTHENTICATED" });
    expect(a.token).toBe(before);
    expect(a.connected).toBe(true);
  });

  test("without a refresh the socket closes at expiry and stays closed; setToken connects it again", async () => {
    const a = await client({ sub: "tok-late", ttl: 2 }); // ttl 1 can be spent before the handshake (exp is whole seconds)
    const closed = new Promise<StateChange>((resolve) => a.onStateChange((s) => s.state === "disconnected" && resolve(s)));
    const s = await closed;
    expect(s.error).toMatchObject({ code: "UNAUTHENTICATED", message: "token expired" });
    await Bun.sleep(400);
    expect(a.connected).toBe(false);
    await a.setToken(await p.token({ sub: "tok-late" }));
    await a.whenConnected(3000);
    expect(await a.request("ping")).toHaveProperty("timestamp");
  });
});

describe("reconnect", () => {
  /** A, member of a room with B, in sync types Rental (Invoice joined then left) and subscribed to payments. */
  async function setup(prefix: string, ttl?: number) {
    const a = await client({ sub: `${prefix}-a`, ...(ttl ? { ttl } : {}) });
    const b = await client({ sub: `${prefix}-b` });
    const r = await room(await p.token({ sub: `${prefix}-a` }), [`${prefix}-b`]);
    await a.request("join_room", { roomId: r.id });
    await b.request("join_room", { roomId: r.id });
    await a.request("join-data-sync", { entityTypes: ["Rental", "Invoice"] });
    await a.request("leave-data-sync", { entityTypes: ["Invoice"] });
    await a.request("subscribe:payments");
    return { a, b, roomId: r.id, userId: `${prefix}-a` };
  }

  /** A gets the room's messages, Rental changes and its payment updates, and no Invoice change. */
  async function expectJoined({ a, b, roomId, userId }: Awaited<ReturnType<typeof setup>>) {
    const msg = nextEvent(a, "message:new");
    await b.request("message:send", { roomId, content: "welcome back" });
    expect((await msg).content).toBe("welcome back");

    const change = nextEvent(a, "data-change", { filter: (d) => d.action === "CREATE" });
    await publish({ tenantId: p.tenant, target: { kind: "sync", id: "Rental" }, event: "data-change", data: { action: "CREATE", data: { id: 2 } } });
    expect(await change).toMatchObject({ entityType: "Rental", action: "CREATE" });

    const payment = nextEvent(a, "payment_update");
    await publish({
      tenantId: p.tenant,
      target: { kind: "payments" },
      event: "payment_update",
      data: { type: "payment_update", data: { invoiceId: "inv_rj", status: "paid", amount: 10, userId }, timestamp: new Date().toISOString() },
    });
    expect((await payment).data).toMatchObject({ invoiceId: "inv_rj", status: "paid" });

    let invoice = false;
    const off = a.on("data-change", (d) => (invoice ||= d.entityType === "Invoice"));
    await publish({ tenantId: p.tenant, target: { kind: "sync", id: "Invoice" }, event: "data-change", data: { action: "CREATE", data: {} } });
    await Bun.sleep(200);
    off();
    expect(invoice).toBe(false);
  }

  test("a reconnect the server cannot recover (token expired, then setToken) re-joins the room, sync types and payments", async () => {
    const s = await setup("rj", 2);
    const { a } = s;
    const expired = new Promise<StateChange>((resolve) => a.onStateChange((c) => c.state === "disconnected" && resolve(c)));
    expect((await expired).error).toMatchObject({ code: "UNAUTHENTICATED" });

    const rejoined = new Promise<RejoinReport>((resolve) => a.onRejoin(resolve));
    const reconnected = new Promise<StateChange>((resolve) => a.onStateChange((c) => c.state === "connected" && resolve(c)));
    await a.setToken(await p.token({ sub: "rj-a" }));
    // A session whose token has expired is never recovered: the server starts a fresh one.
    expect((await reconnected).recovered).toBe(false);
    const report = await rejoined;
    expect(report.failed).toEqual([]);
    expect(report.restored.sort()).toEqual(["join-data-sync", "join_room", "subscribe:payments"]);
    await expectJoined(s);
  });

  test("a re-join refused for now (RATE_LIMITED, as UNAVAILABLE from an overloaded service after a gateway restart) is asked again after its retryAfterMs until it is in", async () => {
    // Its own platform: one event per second per user, so the user's budget can be spent.
    const slow = await startPlatform({ env: { RATE_LIMIT_DEFAULT: "60" }, inProcess: true });
    try {
      const token = (ttl?: number) => slow.token({ sub: "rr-a", ...(ttl ? { ttl } : {}) });
      const a = connect({ url: slow.url, token: await token(2), transports: ["websocket"], socketOptions: { reconnectionDelay: 100, reconnectionDelayMax: 300 } });
      open.push(a);
      await a.whenConnected(5000);
      const res = await slow.fetch("/api/chat/rooms", { method: "POST", token: await token(), json: { name: "rr", memberIds: ["rr-b"] } });
      const roomId = ((await res.json()) as { id: number }).id;
      await a.request("join_room", { roomId });
      await a.request("subscribe:payments");
      const expired = new Promise<StateChange>((resolve) => a.onStateChange((c) => c.state === "disconnected" && resolve(c)));
      await expired;
      // The same user's other socket spends the budget the re-join will need.
      const other = connect({ url: slow.url, token: await token(), transports: ["websocket"] });
      open.push(other);
      await other.whenConnected(5000);
      let limited = false;
      for (let i = 0; i < 200 && !limited; i++)
        limited = await other.request("ping").then(
          () => false,
          (e: RealtimeError) => e.code === "RATE_LIMITED",
        );
      expect(limited).toBe(true);

      const rejoined = new Promise<RejoinReport>((resolve) => a.onRejoin(resolve));
      await a.setToken(await token());
      const report = await rejoined;
      expect(report.failed).toEqual([]);
      expect(report.restored.sort()).toEqual(["join_room", "subscribe:payments"]);
      const msg = nextEvent(a, "message:new");
      const sent = await slow.fetch(`/api/chat/rooms/${roomId}/messages`, { method: "POST", token: await slow.token({ sub: "rr-b" }), json: { content: "in again" } });
      expect(sent.status).toBe(201);
      expect((await msg).content).toBe("in again");
    } finally {
      await slow.stop();
    }
  });

  test("after a server-side disconnect (a gateway stopping) the client comes back by itself, in its room, sync types and payments", async () => {
    const s = await setup("sd");
    const { a } = s;
    const rejoined = new Promise<RejoinReport>((resolve) => a.onRejoin(resolve));
    const reconnected = new Promise<StateChange>((resolve) => a.onStateChange((c) => c.state === "connected" && resolve(c)));
    // What gateway.stop() does to each socket. Socket.IO clients do not reconnect after it on their own.
    p.platform.gateway.io.in(a.id!).disconnectSockets(true);
    const back = await reconnected;
    // The server may recover the session (rooms kept) or start a fresh one (the client re-joins).
    if (!back.recovered) expect((await rejoined).failed).toEqual([]);
    await expectJoined(s);
  });

  test("a recovered reconnect (transport drop) keeps the rooms and re-issues nothing", async () => {
    const a = await client({ sub: "rc-a" });
    await a.request("join-data-sync", ["Rental"]);
    // A broadcast packet gives Socket.IO an offset to resume from.
    const first = nextEvent(a, "data-change");
    await publish({ tenantId: p.tenant, target: { kind: "sync", id: "Rental" }, event: "data-change", data: { action: "CREATE", data: {} } });
    await first;
    let rejoins = 0;
    a.onRejoin(() => rejoins++);
    const reconnected = new Promise<StateChange>((resolve) => a.onStateChange((s) => s.state === "connected" && resolve(s)));
    (a.socket.io as unknown as { engine: { close(): void } }).engine.close();
    expect((await reconnected).recovered).toBe(true);
    await Bun.sleep(100);
    expect(rejoins).toBe(0);
  });
});

/** Compile-time checks (never run): inputs and payloads are the contract's. */
export function typeChecks(c: RealtimeClient) {
  // @ts-expect-error content is required
  c.emit("message:send", { roomId: 1 });
  // @ts-expect-error unknown client event
  c.emit("no-such-event", {});
  // @ts-expect-error join_room needs a payload
  void c.request("join_room");
  c.on("payment_update", (u) => {
    // @ts-expect-error status is an enum of the contract
    const s: "settled" = u.data.status;
    void s;
  });
  void c.request("message:send", { roomId: "12", content: "x" }).then((m) => m.sender.name.toUpperCase());
}
