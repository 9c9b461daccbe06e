import { describe, expect, test } from "bun:test";
import { subjects } from "@rt/contracts";
import { uniqueTenant, deliveriesOf, broadcastsOf, expectHttpError, settle, servicesForFile } from "@rt/testkit";
import { chatService } from "./service.ts";

const h = servicesForFile([chatService]);

const as = (tenantId: string, userId: string, name = `Name of ${userId}`) => ({ tenantId, userId, name });

async function newRoom(ctx: ReturnType<typeof as>, memberIds: unknown[] = [], name = "room") {
  const res = await h.http("POST", "/api/chat/rooms", { ctx, body: { name, memberIds } });
  expect(res.status).toBe(201);
  return res.json;
}

describe("POST /api/chat/rooms", () => {
  test("201 with the room; the creator is a member and memberIds are deduped", async () => {
    const alice = as(uniqueTenant("chat"), "alice");
    const res = await h.http("POST", "/api/chat/rooms", { ctx: alice, body: { name: "team", memberIds: ["bob", "bob", "alice", 7] } });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ id: expect.any(Number), name: "team", createdBy: "alice", createdAt: expect.any(String), memberIds: ["alice", "bob", "7"] });
    const got = await h.http("GET", `/api/chat/rooms/${res.json.id}`, { ctx: alice });
    expect(got.status).toBe(200);
    expect([...got.json.memberIds].sort()).toEqual(["7", "alice", "bob"]);
  });

  test("bad bodies are 400 VALIDATION, no token is 401", async () => {
    const alice = as(uniqueTenant("chat"), "alice");
    for (const body of [{}, { name: "" }, { name: "x", memberIds: "bob" }, { name: "x".repeat(201) }, "not json"]) {
      expectHttpError(await h.http("POST", "/api/chat/rooms", { ctx: alice, body }), 400, "VALIDATION");
    }
    expectHttpError(await h.http("POST", "/api/chat/rooms", { body: { name: "x" } }), 401, "UNAUTHENTICATED");
    expectHttpError(await h.http("GET", "/api/chat/rooms"), 401, "UNAUTHENTICATED");
    expectHttpError(await h.http("POST", "/shared/chat/rooms/1/messages", { body: { content: "x" } }), 401, "UNAUTHENTICATED");
  });
});

describe("GET /api/chat/rooms", () => {
  test("lists only the caller's rooms of the caller's tenant", async () => {
    const tenant = uniqueTenant("chat");
    const alice = as(tenant, "alice");
    const a = await newRoom(alice, ["bob"], "a");
    const b = await newRoom(as(tenant, "bob"), [], "b");
    const c = await newRoom(as(tenant, "carol"), ["alice"], "c");
    await newRoom(as(uniqueTenant("other"), "alice"), [], "elsewhere");
    const res = await h.http("GET", "/api/chat/rooms", { ctx: alice });
    expect(res.status).toBe(200);
    expect(res.json.rooms.map((r: any) => r.id).sort()).toEqual([a.id, c.id].sort());
    expect(res.json.rooms.find((r: any) => r.id === c.id).memberIds.sort()).toEqual(["alice", "carol"]);
    expect(res.json.rooms.some((r: any) => r.id === b.id)).toBe(false);
  });
});

describe("GET /api/chat/rooms/:roomId", () => {
  test("members only; unknown and other-tenant ids are 404; bad ids 400", async () => {
    const tenant = uniqueTenant("chat");
    const room = await newRoom(as(tenant, "alice"), ["bob"]);
    expect((await h.http("GET", `/api/chat/rooms/${room.id}`, { ctx: as(tenant, "bob") })).json).toMatchObject({ id: room.id, name: "room" });
    expectHttpError(await h.http("GET", `/api/chat/rooms/${room.id}`, { ctx: as(tenant, "carol") }), 403, "FORBIDDEN");
    expectHttpError(await h.http("GET", `/api/chat/rooms/${room.id}`, { ctx: as(uniqueTenant("other"), "alice") }), 404, "NOT_FOUND");
    expectHttpError(await h.http("GET", "/api/chat/rooms/2000000000", { ctx: as(tenant, "alice") }), 404, "NOT_FOUND");
    expectHttpError(await h.http("GET", "/api/chat/rooms/abc", { ctx: as(tenant, "alice") }), 400, "VALIDATION");
  });
});

describe("POST /api/chat/rooms/:roomId/members", () => {
  test("a member adds someone (201), who may then send; adding again is 200", async () => {
    const tenant = uniqueTenant("chat");
    const alice = as(tenant, "alice");
    const carol = as(tenant, "carol");
    const room = await newRoom(alice);
    expectHttpError(await h.http("POST", `/api/chat/rooms/${room.id}/messages`, { ctx: carol, body: { content: "hi" } }), 403, "FORBIDDEN");
    const added = await h.http("POST", `/api/chat/rooms/${room.id}/members`, { ctx: alice, body: { userId: "carol" } });
    expect(added.status).toBe(201);
    expect(added.json.memberIds.sort()).toEqual(["alice", "carol"]);
    expect((await h.http("POST", `/api/chat/rooms/${room.id}/messages`, { ctx: carol, body: { content: "hi" } })).status).toBe(201);
    const again = await h.http("POST", `/api/chat/rooms/${room.id}/members`, { ctx: alice, body: { userId: "carol" } });
    expect(again.status).toBe(200);
    expect(again.json.memberIds.sort()).toEqual(["alice", "carol"]);
  });

  test("non-members may not add (403), other tenants get 404, bad bodies 400", async () => {
    const tenant = uniqueTenant("chat");
    const room = await newRoom(as(tenant, "alice"));
    expectHttpError(await h.http("POST", `/api/chat/rooms/${room.id}/members`, { ctx: as(tenant, "mallory"), body: { userId: "mallory" } }), 403, "FORBIDDEN");
    expectHttpError(await h.http("POST", `/api/chat/rooms/${room.id}/members`, { ctx: as(uniqueTenant("other"), "alice"), body: { userId: "x" } }), 404, "NOT_FOUND");
    expectHttpError(await h.http("POST", `/api/chat/rooms/${room.id}/members`, { ctx: as(tenant, "alice"), body: {} }), 400, "VALIDATION");
    const members = await h.http("GET", `/api/chat/rooms/${room.id}`, { ctx: as(tenant, "alice") });
    expect(members.json.memberIds).toEqual(["alice"]);
  });
});

describe("POST messages (both paths)", () => {
  for (const base of ["/api/chat", "/shared/chat"]) {
    test(`${base}: 201 with the message and the same message:new broadcast as the socket path`, async () => {
      const tenant = uniqueTenant("chat");
      const alice = as(tenant, "alice", "Alice");
      const room = await newRoom(alice);
      const res = await h.http("POST", `${base}/rooms/${room.id}/messages`, {
        ctx: alice,
        body: { content: "via rest", type: "IMAGE", fileUrl: "https://img.example/x.png", senderId: "mallory" },
      });
      expect(res.status).toBe(201);
      expect(res.json).toEqual({
        id: expect.any(Number),
        roomId: room.id,
        senderId: "alice",
        content: "via rest",
        type: "IMAGE",
        fileUrl: "https://img.example/x.png",
        createdAt: expect.any(String),
        sender: { id: "alice", name: "Alice" },
      });
      await settle(h);
      const sent = deliveriesOf(h, tenant, "message:new");
      expect(sent).toHaveLength(1);
      expect(sent[0]!.subject).toBe(subjects.deliver(tenant, "room", String(room.id)));
      expect(sent[0]!.envelope.data).toEqual(res.json);
    });
  }

  test("one clientMsgId over REST and the socket action is one message, one broadcast", async () => {
    const tenant = uniqueTenant("chat");
    const alice = as(tenant, "alice");
    const room = await newRoom(alice);
    const rest = await h.http("POST", `/shared/chat/rooms/${room.id}/messages`, { ctx: alice, body: { content: "x", clientMsgId: "k1" } });
    const again = await h.http("POST", `/api/chat/rooms/${room.id}/messages`, { ctx: alice, body: { content: "x", clientMsgId: "k1" } });
    const socket: any = await h.call("chat.message:send", alice, { roomId: room.id, content: "x", clientMsgId: "k1" });
    expect(again.json).toEqual(rest.json);
    expect(socket.data).toEqual(rest.json);
    await settle(h);
    expect(broadcastsOf(h, tenant, "message:new")).toHaveLength(1);
  });

  test("refusals: non-member 403, other tenant or unknown room 404, bad body 400", async () => {
    const tenant = uniqueTenant("chat");
    const room = await newRoom(as(tenant, "alice"));
    const path = `/api/chat/rooms/${room.id}/messages`;
    expectHttpError(await h.http("POST", path, { ctx: as(tenant, "carol"), body: { content: "x" } }), 403, "FORBIDDEN");
    expectHttpError(await h.http("POST", path, { ctx: as(uniqueTenant("other"), "alice"), body: { content: "x" } }), 404, "NOT_FOUND");
    expectHttpError(await h.http("POST", "/api/chat/rooms/2000000000/messages", { ctx: as(tenant, "alice"), body: { content: "x" } }), 404, "NOT_FOUND");
    for (const body of [{}, { content: "" }, { content: "x", type: "NOPE" }, { content: "x", fileUrl: "nope" }, "{"]) {
      expectHttpError(await h.http("POST", path, { ctx: as(tenant, "alice"), body }), 400, "VALIDATION");
    }
    await settle(h);
    expect(deliveriesOf(h, tenant)).toHaveLength(0);
  });
});

describe("GET /api/chat/rooms/:roomId/messages", () => {
  test("newest first, with a cursor that walks every message once", async () => {
    const tenant = uniqueTenant("chat");
    const alice = as(tenant, "alice");
    const room = await newRoom(alice, ["bob"]);
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      const sender = i % 2 ? as(tenant, "bob") : alice;
      ids.push((await h.http("POST", `/api/chat/rooms/${room.id}/messages`, { ctx: sender, body: { content: `m${i}` } })).json.id);
    }
    const seen: number[] = [];
    const pages: number[][] = [];
    let before: number | null = null;
    do {
      const q: string = before === null ? "?limit=2" : `?limit=2&before=${before}`;
      const res = await h.http("GET", `/api/chat/rooms/${room.id}/messages${q}`, { ctx: as(tenant, "bob") });
      expect(res.status).toBe(200);
      const page = res.json.messages.map((m: any) => m.id);
      pages.push(page);
      seen.push(...page);
      before = res.json.nextBefore;
    } while (before !== null);
    expect(seen).toEqual([...ids].reverse());
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);

    const all = await h.http("GET", `/api/chat/rooms/${room.id}/messages`, { ctx: alice });
    expect(all.json.messages.map((m: any) => m.content)).toEqual(["m4", "m3", "m2", "m1", "m0"]);
    expect(all.json.nextBefore).toBeNull();
    expect(all.json.messages[0]).toMatchObject({ senderId: "alice", sender: { id: "alice" }, type: "TEXT", fileUrl: null });
  });

  test("members only; other tenants 404; bad query 400", async () => {
    const tenant = uniqueTenant("chat");
    const room = await newRoom(as(tenant, "alice"));
    await h.http("POST", `/api/chat/rooms/${room.id}/messages`, { ctx: as(tenant, "alice"), body: { content: "secret" } });
    const path = `/api/chat/rooms/${room.id}/messages`;
    expectHttpError(await h.http("GET", path, { ctx: as(tenant, "carol") }), 403, "FORBIDDEN");
    expectHttpError(await h.http("GET", path, { ctx: as(uniqueTenant("other"), "alice") }), 404, "NOT_FOUND");
    for (const q of ["?limit=0", "?limit=101", "?limit=x", "?before=abc", "?before=-3"]) {
      expectHttpError(await h.http("GET", path + q, { ctx: as(tenant, "alice") }), 400, "VALIDATION");
    }
  });
});

test("unknown chat routes answer 404 NOT_FOUND in the platform shape", async () => {
  expectHttpError(await h.http("GET", "/api/chat/nothing", { ctx: as(uniqueTenant("chat"), "alice") }), 404, "NOT_FOUND");
});
