import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { emitAck, expectNone, recorder, startPlatform, uniqueTenant, waitFor, type ClientSocket, type TestPlatform, expectRefused, expectSafeMessage } from "@rt/testkit";

let p: TestPlatform;
beforeAll(async () => {
  // Rate limits are the gateway's subject, not this file's.
  p = await startPlatform({ env: { RATE_LIMIT_MESSAGE: "1000", RATE_LIMIT_TYPING: "1000" } });
});
afterAll(async () => {
  await p?.stop();
});

/** A room of this platform's tenant with the given members, created over REST by the first. */
async function room(creator: string, others: string[] = []): Promise<number> {
  const res = await p.fetch("/api/chat/rooms", { method: "POST", token: await p.token({ sub: creator }), json: { name: "socket room", memberIds: others } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: number }).id;
}

/** Both users connected and joined to one room; the second join is seen by the first. */
async function pair() {
  const roomId = await room("alice", ["bob"]);
  const alice = await p.connect({ sub: "alice", name: "Alice" });
  const bob = await p.connect({ sub: "bob", name: "Bob" });
  expect(await emitAck(alice, "join_room", { roomId })).toMatchObject({ ok: true });
  const seen = waitFor(alice, "member:joined", { filter: (d: any) => d.userId === "bob" });
  expect(await emitAck(bob, "join_room", { roomId: String(roomId) })).toMatchObject({ ok: true });
  expect(await seen).toEqual({ userId: "bob", roomId, timestamp: expect.any(String) });
  return { roomId, alice, bob };
}

const close = (...s: ClientSocket[]) => {
  for (const x of s) x.close();
};

describe("chat over sockets", () => {
  test("members see each other's messages, edits and deletes", async () => {
    const { roomId, alice, bob } = await pair();

    const atBob = waitFor(bob, "message:new");
    const atAlice = waitFor(alice, "message:new");
    const sent: any = await emitAck(alice, "message:send", { roomId, content: "hi bob", userId: "mallory" });
    expect(sent).toEqual({
      ok: true,
      data: {
        id: expect.any(Number),
        roomId,
        senderId: "alice",
        content: "hi bob",
        type: "TEXT",
        fileUrl: null,
        createdAt: expect.any(String),
        sender: { id: "alice", name: "Alice" },
      },
    });
    expect(await atBob).toEqual(sent.data);
    expect(await atAlice).toEqual(sent.data);

    const reply = waitFor(alice, "message:new", { filter: (m: any) => m.senderId === "bob" });
    await emitAck(bob, "message:send", { roomId, content: "hi alice" });
    expect(await reply).toMatchObject({ content: "hi alice", sender: { id: "bob", name: "Bob" } });

    const edited = waitFor(bob, "message:edited");
    const edit: any = await emitAck(alice, "message:edit", { messageId: sent.data.id, content: "hi Bob" });
    expect(edit).toEqual({ ok: true, data: { messageId: sent.data.id, roomId, content: "hi Bob", updatedAt: expect.any(String), timestamp: expect.any(String) } });
    expect(await edited).toEqual(edit.data);

    expectRefused(await emitAck(bob, "message:edit", { messageId: sent.data.id, content: "mine now" }), "FORBIDDEN");
    expectRefused(await emitAck(bob, "message:delete", { messageId: sent.data.id }), "FORBIDDEN");

    const deleted = waitFor(bob, "message:deleted");
    const del: any = await emitAck(alice, "message:delete", { messageId: sent.data.id });
    expect(del).toEqual({ ok: true, data: { messageId: sent.data.id, roomId, timestamp: expect.any(String) } });
    expect(await deleted).toEqual(del.data);
    close(alice, bob);
  });

  test("a message sent over REST (seed path) reaches the room's sockets", async () => {
    const { roomId, alice, bob } = await pair();
    const atBob = waitFor(bob, "message:new");
    const res = await p.fetch(`/shared/chat/rooms/${roomId}/messages`, { method: "POST", token: await p.token({ sub: "alice", name: "Alice" }), json: { content: "from rest" } });
    expect(res.status).toBe(201);
    expect(await atBob).toEqual(await res.json());
    close(alice, bob);
  });

  test("the same clientMsgId twice is one message:new", async () => {
    const { roomId, alice, bob } = await pair();
    const rec = recorder(bob);
    const a: any = await emitAck(alice, "message:send", { roomId, content: "once", clientMsgId: "sock-1" });
    const b: any = await emitAck(alice, "message:send", { roomId, content: "once", clientMsgId: "sock-1" });
    expect(b).toEqual(a);
    await Bun.sleep(300);
    expect(rec.of("message:new")).toEqual([a.data]);
    close(alice, bob);
  });

  test("typing reaches the others in the room, not the typist", async () => {
    const { roomId, alice, bob } = await pair();
    const quietAlice = expectNone(alice, "user:typing", 300);
    const typing = waitFor(bob, "user:typing");
    expect(await emitAck(alice, "user:typing", { roomId })).toMatchObject({ ok: true });
    expect(await typing).toEqual({ userId: "alice", roomId, timestamp: expect.any(String) });
    await quietAlice;
    const stopped = waitFor(bob, "user:stop_typing");
    await emitAck(alice, "user:stop_typing", { roomId });
    expect(await stopped).toEqual({ userId: "alice", roomId, timestamp: expect.any(String) });
    close(alice, bob);
  });

  test("leaving tells the room and stops the leaver's deliveries", async () => {
    const { roomId, alice, bob } = await pair();
    const left = waitFor(alice, "member:left");
    expect(await emitAck(bob, "leave_room", { roomId })).toMatchObject({ ok: true });
    expect(await left).toEqual({ userId: "bob", roomId, timestamp: expect.any(String) });
    const quiet = expectNone(bob, "message:new", 400);
    await emitAck(alice, "message:send", { roomId, content: "bob is gone" });
    await quiet;
    close(alice, bob);
  });

  test("a non-member cannot join or send: FORBIDDEN, and the room hears nothing", async () => {
    const { roomId, alice, bob } = await pair();
    const carol = await p.connect({ sub: "carol" });
    const quiet = expectNone(alice, "message:new", 400);
    expectRefused(await emitAck(carol, "join_room", { roomId }), "FORBIDDEN");
    expectRefused(await emitAck(carol, "message:send", { roomId, content: "let me in" }), "FORBIDDEN");
    expectRefused(await emitAck(carol, "user:typing", { roomId }), "FORBIDDEN");
    await quiet;
    close(alice, bob, carol);
  });

  test("a user of another tenant with the same room id and user id receives nothing", async () => {
    const { roomId, alice, bob } = await pair();
    const other = await p.connect({ sub: "bob", tenantId: uniqueTenant("other") });
    const rec = recorder(other);
    expectRefused(await emitAck(other, "join_room", { roomId }), "NOT_FOUND");
    expectRefused(await emitAck(other, "message:send", { roomId, content: "hello?" }), "NOT_FOUND");
    const atBob = waitFor(bob, "message:new");
    const sent: any = await emitAck(alice, "message:send", { roomId, content: "tenant-private" });
    await atBob;
    expectRefused(await emitAck(other, "message:edit", { messageId: sent.data.id, content: "x" }), "NOT_FOUND");
    expectRefused(await emitAck(other, "message:delete", { messageId: sent.data.id }), "NOT_FOUND");
    await emitAck(alice, "user:typing", { roomId });
    await Bun.sleep(300);
    const chatEvents = rec.events.filter((e) => /^(message|member|user:typing|user:stop_typing)/.test(e.event));
    expect(chatEvents).toEqual([]);
    close(alice, bob, other);
  });

  test("refusals over the socket carry a safe message; bad payloads are VALIDATION", async () => {
    const alice = await p.connect({ sub: "alice" });
    for (const [event, data] of [
      ["message:send", { roomId: "abc", content: "x" }],
      ["message:send", { roomId: 1, content: "" }],
      ["message:edit", { messageId: 1 }],
      ["join_room", {}],
    ] as const) {
      const ack: any = await emitAck(alice, event, data);
      expectRefused(ack, "VALIDATION");
      expectSafeMessage(ack.error.message);
    }
    close(alice);
  });
});
