import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { emitAck, expectNone, recorder, startPlatform, waitFor, type ClientSocket, type TestPlatform } from "@rt/testkit";
import { rooms } from "./rooms.ts";

/** Room broadcasts through Bun topics (fanout.ts): same deliveries as the adapter path, for every transport. */
let p: TestPlatform;
beforeAll(async () => {
  // In process even in cluster mode: the test reads the server-side topics through p.platform.gateway.
  // GATEWAY_TOPIC_FANOUT=false in the test's environment runs the same cases on the adapter path.
  const fanout = process.env.GATEWAY_TOPIC_FANOUT;
  p = await startPlatform({ env: { RATE_LIMIT_MESSAGE: "1000", RATE_LIMIT_TYPING: "1000", ...(fanout ? { GATEWAY_TOPIC_FANOUT: fanout } : {}) }, inProcess: true });
});
afterAll(async () => {
  await p?.stop();
});

const topic = (room: string) => `/\u001f${room}`;

/** Topics the server-side WebSocket of a client socket is subscribed to (undefined on polling). */
function serverTopics(s: ClientSocket): string[] | undefined {
  const socket = p.platform.gateway.io.of("/").sockets.get(s.id!) as unknown as { conn: { transport: { name: string; socket?: { subscriptions: string[] } } } } | undefined;
  const t = socket?.conn.transport;
  return t?.name === "websocket" ? t.socket?.subscriptions : undefined;
}

async function room(creator: string, others: string[]): Promise<number> {
  const res = await p.fetch("/api/chat/rooms", { method: "POST", token: await p.token({ sub: creator }), json: { name: "fanout", memberIds: others } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: number }).id;
}

async function upgraded(s: ClientSocket) {
  const engine = (s.io as unknown as { engine: { transport: { name: string } } }).engine;
  for (let i = 0; i < 100 && engine.transport.name !== "websocket"; i++) await Bun.sleep(20);
  expect(engine.transport.name).toBe("websocket");
}

const contents = (r: ReturnType<typeof recorder>) => r.of("message:new").map((m: any) => m.content);

describe("topic fan-out", () => {
  test("a room message reaches every member once, over WebSocket, polling and an upgraded polling socket", async () => {
    const roomId = await room("ws-user", ["poll-user", "upg-user"]);
    const ws = await p.connect({ sub: "ws-user" });
    const poll = await p.connect({ sub: "poll-user", transports: ["polling"] });
    const upg = await p.connect({ sub: "upg-user", transports: ["polling", "websocket"] });
    await upgraded(upg);
    for (const s of [ws, poll, upg]) expect(await emitAck(s, "join_room", { roomId })).toMatchObject({ ok: true });
    const name = rooms.chat(p.tenant, roomId);
    if (p.config.GATEWAY_TOPIC_FANOUT) {
      expect(serverTopics(ws)).toContain(topic(name));
      expect(serverTopics(upg)).toContain(topic(name));
      // a socket's own id room is not a topic
      expect(serverTopics(ws)).not.toContain(topic(ws.id!));
    } else {
      // GATEWAY_TOPIC_FANOUT=false: no topics, every broadcast takes the adapter's path.
      expect(serverTopics(ws)).not.toContain(topic(name));
    }
    expect(serverTopics(poll)).toBeUndefined();

    const recs = [ws, poll, upg].map(recorder);
    const last = [ws, poll, upg].map((s) => waitFor(s, "message:new", { filter: (m: any) => m.content === "m5", timeoutMs: 5000 }));
    for (let i = 1; i <= 5; i++) {
      const from = [ws, poll, upg][i % 3]!;
      expect(await emitAck(from, "message:send", { roomId, content: `m${i}` })).toMatchObject({ ok: true });
    }
    await Promise.all(last);
    await Bun.sleep(100);
    for (const r of recs) expect(contents(r)).toEqual(["m1", "m2", "m3", "m4", "m5"]);
    for (const s of [ws, poll, upg]) s.close();
  });

  test("typing (a broadcast with except) skips only the typist, whatever the transports", async () => {
    const roomId = await room("t-ws", ["t-poll"]);
    const ws = await p.connect({ sub: "t-ws" });
    const poll = await p.connect({ sub: "t-poll", transports: ["polling"] });
    for (const s of [ws, poll]) expect(await emitAck(s, "join_room", { roomId })).toMatchObject({ ok: true });
    const atPoll = waitFor(poll, "user:typing");
    const notSelf = expectNone(ws, "user:typing", 300);
    expect(await emitAck(ws, "user:typing", { roomId })).toMatchObject({ ok: true });
    expect(await atPoll).toMatchObject({ userId: "t-ws", roomId });
    await notSelf;
    const atWs = waitFor(ws, "user:typing");
    const notPoll = expectNone(poll, "user:typing", 300);
    expect(await emitAck(poll, "user:typing", { roomId })).toMatchObject({ ok: true });
    expect(await atWs).toMatchObject({ userId: "t-poll", roomId });
    await notPoll;
    ws.close();
    poll.close();
  });

  test("leaving a room unsubscribes its topic; joining another moves the subscription", async () => {
    const a = await room("l-a", ["l-b"]);
    const b = await room("l-a", ["l-b"]);
    const stay = await p.connect({ sub: "l-a" });
    const mover = await p.connect({ sub: "l-b" });
    for (const s of [stay, mover]) expect(await emitAck(s, "join_room", { roomId: a })).toMatchObject({ ok: true });
    expect(await emitAck(mover, "join_room", { roomId: b })).toMatchObject({ ok: true });
    if (p.config.GATEWAY_TOPIC_FANOUT) {
      expect(serverTopics(mover)).not.toContain(topic(rooms.chat(p.tenant, a)));
      expect(serverTopics(mover)).toContain(topic(rooms.chat(p.tenant, b)));
    }
    const none = expectNone(mover, "message:new", 400);
    const seen = waitFor(stay, "message:new");
    expect(await emitAck(stay, "message:send", { roomId: a, content: "after the move" })).toMatchObject({ ok: true });
    await seen;
    await none;
    expect(await emitAck(mover, "leave_room", { roomId: b })).toMatchObject({ ok: true });
    if (p.config.GATEWAY_TOPIC_FANOUT) expect(serverTopics(mover)).not.toContain(topic(rooms.chat(p.tenant, b)));
    stay.close();
    mover.close();
  });

  test("a tenant-wide broadcast reaches that tenant only", async () => {
    const mine = await p.connect({ sub: "iso-1" });
    const other = await p.connect({ sub: "iso-1", tenantId: `${p.tenant}-other` });
    const got = waitFor(mine, "system-notification");
    const none = expectNone(other, "system-notification", 400);
    const res = await p.fetch("/api/publish", {
      method: "POST",
      headers: { "x-api-key": "test-publish-key-0123456789-abcdef" },
      json: { tenantId: p.tenant, target: { kind: "tenant" }, event: "system-notification", data: { title: "t", message: "m", level: "info" } },
    });
    expect(res.status).toBe(202);
    expect(await got).toMatchObject({ title: "t" });
    await none;
    mine.close();
    other.close();
  });

  test("a dropped WebSocket client recovers: missed room messages once, in order, then live ones once", async () => {
    const roomId = await room("r-sender", ["r-flaky"]);
    const sender = await p.connect({ sub: "r-sender" });
    const flaky = await p.connect({ sub: "r-flaky", options: { reconnection: true, reconnectionDelay: 300, reconnectionDelayMax: 400 } });
    for (const s of [sender, flaky]) expect(await emitAck(s, "join_room", { roomId })).toMatchObject({ ok: true });
    // a first room packet gives the client an offset to resume from
    const first = waitFor(flaky, "message:new");
    await emitAck(sender, "message:send", { roomId, content: "m0" });
    await first;
    const got: string[] = [];
    flaky.on("message:new", (m: any) => got.push(m.content));
    (flaky.io as unknown as { engine: { close(): void } }).engine.close();
    const back = waitFor(flaky, "connect", { timeoutMs: 5000 });
    await Bun.sleep(50);
    for (let i = 1; i <= 3; i++) expect(await emitAck(sender, "message:send", { roomId, content: `m${i}` })).toMatchObject({ ok: true });
    await back;
    expect(flaky.recovered).toBe(true);
    if (p.config.GATEWAY_TOPIC_FANOUT) expect(serverTopics(flaky)).toContain(topic(rooms.chat(p.tenant, roomId)));
    const live = waitFor(flaky, "message:new", { filter: (m: any) => m.content === "m5", timeoutMs: 5000 });
    for (let i = 4; i <= 5; i++) expect(await emitAck(sender, "message:send", { roomId, content: `m${i}` })).toMatchObject({ ok: true });
    await live;
    await Bun.sleep(100);
    expect(got).toEqual(["m1", "m2", "m3", "m4", "m5"]);
    sender.close();
    flaky.close();
  });
});
