import { describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { executedRows } from "@rt/db";
import { subjects } from "@rt/contracts";
import { uniqueTenant, deliveriesOf, broadcastsOf, expectRefused, settle, servicesForFile } from "@rt/testkit";
import { chatService } from "./service.ts";

const h = servicesForFile([chatService]);

const as = (tenantId: string, userId: string, name = `Name of ${userId}`) => ({ tenantId, userId, name });

/** A room in a fresh tenant with alice and bob as members; carol is in the tenant but not the room. */
async function setup() {
  const tenant = uniqueTenant("chat");
  const res = await h.http("POST", "/api/chat/rooms", { ctx: as(tenant, "alice"), body: { name: "general", memberIds: ["bob"] } });
  expect(res.status).toBe(201);
  return { tenant, roomId: res.json.id as number, alice: as(tenant, "alice", "Alice"), bob: as(tenant, "bob", "Bob"), carol: as(tenant, "carol") };
}

async function messageRows(tenant: string) {
  const r = await h.db.db.execute(sql`select id from chat.messages where tenant_id = ${tenant}`);
  return executedRows(r).length;
}

describe("room-authorize", () => {
  test("a member is authorized; a number-like string id is accepted", async () => {
    const { roomId, bob } = await setup();
    expect(await h.call("chat.room-authorize", bob, { roomId })).toEqual({ ok: true, data: { roomId, member: true } });
    expect(await h.call("chat.room-authorize", bob, { roomId: String(roomId) })).toEqual({ ok: true, data: { roomId, member: true } });
  });

  test("a non-member is FORBIDDEN, an unknown room NOT_FOUND", async () => {
    const { roomId, carol } = await setup();
    expectRefused(await h.call("chat.room-authorize", carol, { roomId }), "FORBIDDEN");
    expectRefused(await h.call("chat.room-authorize", carol, { roomId: 2_000_000_000 }), "NOT_FOUND");
  });

  test("ids beyond any stored id are NOT_FOUND, not an internal error", async () => {
    const { alice } = await setup();
    expectRefused(await h.call("chat.room-authorize", alice, { roomId: Number.MAX_SAFE_INTEGER }), "NOT_FOUND");
    expectRefused(await h.call("chat.message:send", alice, { roomId: Number.MAX_SAFE_INTEGER, content: "x" }), "NOT_FOUND");
    expectRefused(await h.call("chat.message:edit", alice, { messageId: Number.MAX_SAFE_INTEGER, content: "x" }), "NOT_FOUND");
  });

  test("the same user id in another tenant does not see the room", async () => {
    const { roomId } = await setup();
    expectRefused(await h.call("chat.room-authorize", as(uniqueTenant("other"), "alice"), { roomId }), "NOT_FOUND");
  });

  test("bad payloads are VALIDATION", async () => {
    const { alice } = await setup();
    for (const data of [{}, { roomId: "abc" }, { roomId: -1 }, { roomId: 1.5 }, null, "1"]) {
      expectRefused(await h.call("chat.room-authorize", alice, data), "VALIDATION");
    }
  });
});

describe("is-member", () => {
  test("answers for any user of the caller's tenant", async () => {
    const { roomId, alice } = await setup();
    expect(await h.call("chat.is-member", alice, { roomId, userId: "bob" })).toEqual({ ok: true, data: { member: true } });
    expect(await h.call("chat.is-member", alice, { roomId, userId: "carol" })).toEqual({ ok: true, data: { member: false } });
    expect(await h.call("chat.is-member", alice, { roomId: 2_000_000_000, userId: "bob" })).toEqual({ ok: true, data: { member: false } });
    expect(await h.call("chat.is-member", as(uniqueTenant("other"), "bob"), { roomId, userId: "bob" })).toEqual({ ok: true, data: { member: false } });
  });

  test("bad payloads are VALIDATION", async () => {
    const { roomId, alice } = await setup();
    expectRefused(await h.call("chat.is-member", alice, { roomId }), "VALIDATION");
    expectRefused(await h.call("chat.is-member", alice, { userId: "bob" }), "VALIDATION");
  });
});

describe("message:send", () => {
  test("stores, replies with the message and broadcasts message:new to the room", async () => {
    const { tenant, roomId, bob } = await setup();
    const reply: any = await h.call("chat.message:send", bob, { roomId, content: "hello", senderId: "mallory", userId: "mallory" });
    expect(reply.ok).toBe(true);
    const m = reply.data;
    expect(m).toEqual({
      id: expect.any(Number),
      roomId,
      senderId: "bob",
      content: "hello",
      type: "TEXT",
      fileUrl: null,
      createdAt: expect.any(String),
      sender: { id: "bob", name: "Bob" },
    });
    expect(new Date(m.createdAt).toISOString()).toBe(m.createdAt);
    await settle(h);
    const sent = deliveriesOf(h, tenant, "message:new");
    expect(sent).toHaveLength(1);
    expect(sent[0]!.subject).toBe(subjects.deliver(tenant, "room", String(roomId)));
    expect(sent[0]!.envelope.target).toEqual({ kind: "room", id: String(roomId) });
    expect(sent[0]!.envelope.data).toEqual(m);
  });

  test("keeps type, fileUrl and clientMsgId", async () => {
    const { roomId, alice } = await setup();
    const reply: any = await h.call("chat.message:send", alice, {
      roomId: String(roomId),
      content: "see file",
      type: "FILE",
      fileUrl: "https://files.example/a.pdf",
      clientMsgId: "c-1",
    });
    expect(reply.data).toMatchObject({ roomId, type: "FILE", fileUrl: "https://files.example/a.pdf", clientMsgId: "c-1" });
  });

  test("a non-member is FORBIDDEN: nothing stored, nothing broadcast", async () => {
    const { tenant, roomId, carol } = await setup();
    expectRefused(await h.call("chat.message:send", carol, { roomId, content: "let me in" }), "FORBIDDEN");
    expectRefused(await h.call("chat.message:send", carol, { roomId: 2_000_000_000, content: "x" }), "NOT_FOUND");
    await settle(h);
    expect(await messageRows(tenant)).toBe(0);
    expect(deliveriesOf(h, tenant)).toHaveLength(0);
  });

  test("a user of another tenant cannot post into the room by id", async () => {
    const { tenant, roomId } = await setup();
    const other = as(uniqueTenant("other"), "alice");
    expectRefused(await h.call("chat.message:send", other, { roomId, content: "hi" }), "NOT_FOUND");
    expect(await messageRows(tenant)).toBe(0);
  });

  test("bad payloads are VALIDATION", async () => {
    const { tenant, roomId, alice } = await setup();
    const bad = [
      { roomId, content: "" },
      { roomId },
      { content: "x" },
      { roomId, content: "x", type: "SHOUT" },
      { roomId, content: "x", fileUrl: "not a url" },
      { roomId, content: "x".repeat(10_001) },
      { roomId, content: 42 },
    ];
    for (const data of bad) expectRefused(await h.call("chat.message:send", alice, data), "VALIDATION");
    expect(await messageRows(tenant)).toBe(0);
  });

  test("the same clientMsgId twice stores and broadcasts once and returns the original", async () => {
    const { tenant, roomId, alice } = await setup();
    const first: any = await h.call("chat.message:send", alice, { roomId, content: "once", clientMsgId: "dup-1" });
    const again: any = await h.call("chat.message:send", alice, { roomId, content: "once (retry)", clientMsgId: "dup-1" });
    expect(again).toEqual(first);
    expect(again.data.content).toBe("once");
    await settle(h);
    expect(await messageRows(tenant)).toBe(1);
    expect(broadcastsOf(h, tenant, "message:new")).toHaveLength(1);
  });

  test("concurrent sends with one clientMsgId store and broadcast once", async () => {
    const { tenant, roomId, alice } = await setup();
    const replies: any[] = await Promise.all(Array.from({ length: 20 }, () => h.call("chat.message:send", alice, { roomId, content: "race", clientMsgId: "race-1" })));
    for (const r of replies) expect(r).toEqual(replies[0]);
    expect(replies[0].ok).toBe(true);
    await settle(h);
    expect(await messageRows(tenant)).toBe(1);
    expect(broadcastsOf(h, tenant, "message:new")).toHaveLength(1);
  });

  test("a clientMsgId is per sender and per room", async () => {
    const { tenant, roomId, alice, bob } = await setup();
    const other = await h.http("POST", "/api/chat/rooms", { ctx: alice, body: { name: "second", memberIds: [] } });
    const a: any = await h.call("chat.message:send", alice, { roomId, content: "a", clientMsgId: "same" });
    const b: any = await h.call("chat.message:send", bob, { roomId, content: "b", clientMsgId: "same" });
    const c: any = await h.call("chat.message:send", alice, { roomId: other.json.id, content: "c", clientMsgId: "same" });
    expect(new Set([a.data.id, b.data.id, c.data.id]).size).toBe(3);
    expect(await messageRows(tenant)).toBe(3);
  });
});

describe("message-edit", () => {
  test("the sender edits: reply and message:edited to the room", async () => {
    const { tenant, roomId, alice } = await setup();
    const sent: any = await h.call("chat.message:send", alice, { roomId, content: "tpyo" });
    const reply: any = await h.call("chat.message:edit", alice, { messageId: String(sent.data.id), content: "typo" });
    expect(reply).toEqual({ ok: true, data: { messageId: sent.data.id, roomId, content: "typo", updatedAt: expect.any(String), timestamp: expect.any(String) } });
    await settle(h);
    const edits = deliveriesOf(h, tenant, "message:edited");
    expect(edits).toHaveLength(1);
    expect(edits[0]!.subject).toBe(subjects.deliver(tenant, "room", String(roomId)));
    expect(edits[0]!.envelope.data).toEqual(reply.data);
    const history = await h.http("GET", `/api/chat/rooms/${roomId}/messages`, { ctx: alice });
    expect(history.json.messages[0]).toMatchObject({ id: sent.data.id, content: "typo", updatedAt: reply.data.updatedAt });
  });

  test("someone else's message is FORBIDDEN; unknown, deleted or other-tenant ids are NOT_FOUND", async () => {
    const { tenant, roomId, alice, bob } = await setup();
    const sent: any = await h.call("chat.message:send", alice, { roomId, content: "mine" });
    const id = sent.data.id;
    expectRefused(await h.call("chat.message:edit", bob, { messageId: id, content: "yours now" }), "FORBIDDEN");
    expectRefused(await h.call("chat.message:edit", as(uniqueTenant("other"), "alice"), { messageId: id, content: "x" }), "NOT_FOUND");
    expectRefused(await h.call("chat.message:edit", alice, { messageId: 2_000_000_000, content: "x" }), "NOT_FOUND");
    await h.call("chat.message:delete", alice, { messageId: id });
    expectRefused(await h.call("chat.message:edit", alice, { messageId: id, content: "back" }), "NOT_FOUND");
    await settle(h);
    expect(deliveriesOf(h, tenant, "message:edited")).toHaveLength(0);
  });

  test("bad payloads are VALIDATION", async () => {
    const { alice } = await setup();
    for (const data of [{}, { messageId: 1 }, { messageId: 1, content: "" }, { messageId: "x", content: "y" }]) {
      expectRefused(await h.call("chat.message:edit", alice, data), "VALIDATION");
    }
  });
});

describe("message-delete", () => {
  test("the sender deletes: reply and message:deleted to the room; history no longer shows it", async () => {
    const { tenant, roomId, alice } = await setup();
    const sent: any = await h.call("chat.message:send", alice, { roomId, content: "oops" });
    const reply: any = await h.call("chat.message:delete", alice, { messageId: sent.data.id });
    expect(reply).toEqual({ ok: true, data: { messageId: sent.data.id, roomId, timestamp: expect.any(String) } });
    await settle(h);
    const dels = deliveriesOf(h, tenant, "message:deleted");
    expect(dels).toHaveLength(1);
    expect(dels[0]!.envelope.data).toEqual(reply.data);
    const history = await h.http("GET", `/api/chat/rooms/${roomId}/messages`, { ctx: alice });
    expect(history.json).toEqual({ messages: [], nextBefore: null });
  });

  test("someone else's message is FORBIDDEN; twice, unknown or other-tenant is NOT_FOUND", async () => {
    const { tenant, roomId, alice, bob } = await setup();
    const sent: any = await h.call("chat.message:send", alice, { roomId, content: "keep" });
    const id = sent.data.id;
    expectRefused(await h.call("chat.message:delete", bob, { messageId: id }), "FORBIDDEN");
    expectRefused(await h.call("chat.message:delete", as(uniqueTenant("other"), "alice"), { messageId: id }), "NOT_FOUND");
    expectRefused(await h.call("chat.message:delete", alice, { messageId: 2_000_000_000 }), "NOT_FOUND");
    expect((await h.call("chat.message:delete", alice, { messageId: id })).ok).toBe(true);
    expectRefused(await h.call("chat.message:delete", alice, { messageId: id }), "NOT_FOUND");
    await settle(h);
    expect(deliveriesOf(h, tenant, "message:deleted")).toHaveLength(1);
  });

  test("bad payloads are VALIDATION", async () => {
    const { alice } = await setup();
    for (const data of [{}, { messageId: "abc" }, { messageId: 0 }]) {
      expectRefused(await h.call("chat.message:delete", alice, data), "VALIDATION");
    }
  });
});
