import { afterAll, beforeAll, expect, test } from "bun:test";
import { emitAck, expectNone, startPlatform, waitFor, type TestPlatform } from "@rt/testkit";

// Socket level: the gateway, the real chat service and calls together.
let p: TestPlatform;
beforeAll(async () => {
  p = await startPlatform();
}, 30_000); // every service's migrations on a fresh embedded database
afterAll(() => p?.stop());

async function createRoom(owner: string, memberIds: string[]): Promise<number> {
  const res = await p.fetch("/api/chat/rooms", { method: "POST", token: await p.token({ sub: owner }), json: { name: "studio", memberIds } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: number }).id;
}

test("two members of a room see initiated, answered and ended; a non-member is refused", async () => {
  const roomId = await createRoom("alice", ["bob"]);
  const [alice, bob, eve] = await Promise.all(["alice", "bob", "eve"].map((sub) => p.connect({ sub })));
  expect((await emitAck(alice!, "join_room", { roomId })).ok).toBe(true);
  expect((await emitAck(bob!, "join_room", { roomId })).ok).toBe(true);

  const refused = await emitAck(eve!, "call:initiated", { roomId, callType: "AUDIO" });
  expect(refused).toEqual({ ok: false, error: { code: "FORBIDDEN", message: expect.any(String) } });

  const seenByBob = waitFor(bob!, "call:initiated");
  const seenByAlice = waitFor(alice!, "call:initiated");
  // Seed clients send initiatedBy: it is ignored, the token says who calls.
  const started = await emitAck(alice!, "call:initiated", { roomId: String(roomId), callType: "VIDEO", initiatedBy: "bob" });
  expect(started.ok).toBe(true);
  const call = (started as { data: { id: number } }).data;
  for (const seen of await Promise.all([seenByBob, seenByAlice]))
    expect(seen).toEqual({ callId: call.id, roomId, callType: "VIDEO", initiatedBy: "alice", timestamp: expect.any(String) });

  const eveAnswer = await emitAck(eve!, "call:answered", { callId: call.id });
  expect(eveAnswer.ok).toBe(false);
  if (!eveAnswer.ok) expect(eveAnswer.error.code).toBe("FORBIDDEN");

  const answeredSeen = Promise.all([waitFor(alice!, "call:answered"), waitFor(bob!, "call:answered")]);
  expect((await emitAck(bob!, "call:answered", { callId: call.id, roomId })).ok).toBe(true);
  for (const seen of await answeredSeen) expect(seen).toMatchObject({ callId: call.id, roomId, answeredBy: "bob" });

  const endedSeen = Promise.all([waitFor(alice!, "call:ended"), waitFor(bob!, "call:ended")]);
  const noneForEve = expectNone(eve!, "call:ended", 500);
  expect((await emitAck(bob!, "call:ended", { callId: call.id })).ok).toBe(true);
  for (const seen of await endedSeen) expect(seen).toMatchObject({ callId: call.id, roomId, endedBy: "bob" });
  await noneForEve;

  const again = await emitAck(alice!, "call:ended", { callId: call.id });
  expect(again.ok).toBe(false);
  if (!again.ok) expect(again.error.code).toBe("CONFLICT");

  const read = await p.fetch(`/api/calls/${call.id}`, { token: await p.token({ sub: "alice" }) });
  expect(read.status).toBe(200);
  expect(await read.json()).toMatchObject({ id: call.id, roomId, status: "ENDED", initiatedBy: "alice", participants: [{ userId: "alice" }, { userId: "bob" }] });
  expect((await p.fetch(`/api/calls/${call.id}`, { token: await p.token({ sub: "eve" }) })).status).toBe(403);
  expect((await p.fetch(`/api/calls/${call.id}`, { token: await p.token({ sub: "alice", tenantId: "another-tenant" }) })).status).toBe(404);
  expect((await p.fetch(`/api/calls/${call.id}`)).status).toBe(401);
});

test("call:signal reaches every socket of the recipient and nobody else; refusals arrive as acks", async () => {
  const roomId = await createRoom("sig-a", ["sig-b", "sig-c"]);
  const [a, b1, b2, c, eve] = await Promise.all([
    p.connect({ sub: "sig-a" }),
    p.connect({ sub: "sig-b" }),
    p.connect({ sub: "sig-b" }),
    p.connect({ sub: "sig-c" }),
    p.connect({ sub: "sig-eve" }),
  ]);
  const call = ((await emitAck(a!, "call:initiated", { roomId })) as { data: { id: number } }).data;
  const signal = { type: "offer" as const, sdp: "v=0\r\no=- 46117 2 IN IP4 127.0.0.1\r\ns=-\r\n" };
  const toB = Promise.all([waitFor(b1!, "call:signal"), waitFor(b2!, "call:signal")]);
  const quiet = Promise.all([expectNone(a!, "call:signal", 600), expectNone(c!, "call:signal", 600), expectNone(eve!, "call:signal", 600)]);
  expect(await emitAck(a!, "call:signal", { callId: call.id, toUserId: "sig-b", signal })).toEqual({ ok: true, data: { callId: call.id, toUserId: "sig-b" } });
  for (const got of await toB) expect(got).toEqual({ callId: call.id, fromUserId: "sig-a", signal });
  await quiet;

  const code = async (sock: typeof a, data: unknown) => {
    const r = await emitAck(sock!, "call:signal", data);
    return r.ok ? "OK" : r.error.code;
  };
  expect(await code(eve, { callId: call.id, toUserId: "sig-b", signal })).toBe("FORBIDDEN");
  expect(await code(a, { callId: call.id, toUserId: "sig-eve", signal })).toBe("FORBIDDEN");
  expect(await code(a, { callId: 987654321, toUserId: "sig-b", signal })).toBe("NOT_FOUND");
  expect(await code(a, { callId: call.id, toUserId: "sig-b", signal: { type: "offer", sdp: "x".repeat(40_000) } })).toBe("VALIDATION");
  expect((await emitAck(a!, "call:ended", { callId: call.id })).ok).toBe(true);
  expect(await code(a, { callId: call.id, toUserId: "sig-b", signal })).toBe("CONFLICT");
}, 30_000);

test("a participant whose last socket closes leaves the call (call:left); the last one out ends it", async () => {
  const roomId = await createRoom("gone-a", ["gone-b"]);
  const [a, b1, b2] = await Promise.all([p.connect({ sub: "gone-a" }), p.connect({ sub: "gone-b" }), p.connect({ sub: "gone-b" })]);
  expect((await emitAck(a!, "join_room", { roomId })).ok).toBe(true);
  const call = ((await emitAck(a!, "call:initiated", { roomId })) as { data: { id: number } }).data;
  expect((await emitAck(b1!, "call:answered", { callId: call.id })).ok).toBe(true);

  // One of b's two sockets closing is not b leaving.
  const noLeave = expectNone(a!, "call:left", 1500);
  b2!.disconnect();
  await noLeave;
  const left = waitFor(a!, "call:left", { timeoutMs: 10_000 });
  b1!.disconnect();
  expect(await left).toEqual({ callId: call.id, roomId, userId: "gone-b", timestamp: expect.any(String) });
  const who = await emitAck(a!, "call:participants", { callId: call.id });
  expect(who).toMatchObject({
    ok: true,
    data: {
      status: "ONGOING",
      participants: [
        { userId: "gone-a", leftAt: null },
        { userId: "gone-b", leftAt: expect.any(String) },
      ],
    },
  });

  const [watcher] = await Promise.all([p.connect({ sub: "gone-b" })]);
  expect((await emitAck(watcher!, "join_room", { roomId })).ok).toBe(true);
  const ended = waitFor(watcher!, "call:ended", { timeoutMs: 10_000 });
  a!.disconnect();
  expect(await ended).toMatchObject({ callId: call.id, roomId, endedBy: "gone-a" });
}, 30_000);
