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
