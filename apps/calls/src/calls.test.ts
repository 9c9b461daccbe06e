import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { subjects, type Call, type ErrorCode, type ForwardedEventName, type SvcReply, type UserGone } from "@rt/contracts";
import type { Subscription } from "@rt/bus";
import { expectRefused, expectSafeMessage, okData, startServices, uniqueTenant, type ServiceHarness } from "@rt/testkit";
import { callsService } from "./service.ts";

/**
 * chat is a separate service; here a small bus peer answers its `is-member` action from a table
 * the test fills, in chat's queue group, as the real one would.
 */
const rooms = new Map<string, Set<string>>();
const silentTenants = new Set<string>();
const roomKey = (tenantId: string, roomId: number) => `${tenantId}/${roomId}`;
const addRoom = (tenantId: string, roomId: number, members: string[]) => rooms.set(roomKey(tenantId, roomId), new Set(members));

let h: ServiceHarness;
let chatPeer: Subscription;
const startChatPeer = () =>
  h.bus.respond(
    subjects.svc("chat", "is-member"),
    async (raw) => {
      const { ctx, data } = raw as { ctx: { tenantId: string }; data: { roomId: number; userId: string } };
      // Silent: answers "yes" only after the caller has given up, so a late reply must change nothing.
      if (silentTenants.has(ctx.tenantId)) return Bun.sleep(3500).then(() => ({ ok: true, data: { member: true } }));
      return { ok: true, data: { member: rooms.get(roomKey(ctx.tenantId, Number(data.roomId)))?.has(data.userId) ?? false } };
    },
    { queue: "chat" },
  );

beforeAll(async () => {
  h = await startServices([callsService]);
  chatPeer = startChatPeer();
  await h.bus.flush();
}, 30_000); // migrations on a fresh embedded database, on a loaded machine
afterAll(async () => {
  chatPeer.unsubscribe();
  await h.stop();
});

const call = (action: ForwardedEventName<"calls">, tenantId: string, userId: string, data: unknown) => h.call(`calls.${action}`, { tenantId, userId }, data);

const ok = (reply: SvcReply) => okData<Call>(reply);
const refused = (reply: SvcReply, code: ErrorCode) => expectRefused(reply, code);

async function waitForDelivery(tenantId: string, event: string, match: (data: any) => boolean = () => true, ms = 3000) {
  const until = Date.now() + ms;
  for (;;) {
    const d = h.deliveries.find((x) => x.envelope.tenantId === tenantId && x.envelope.event === event && match(x.envelope.data));
    if (d) return d;
    if (Date.now() > until) throw new Error(`no ${event} delivery for ${tenantId}`);
    await Bun.sleep(10);
  }
}
const deliveriesOf = (tenantId: string) => h.deliveries.filter((d) => d.envelope.tenantId === tenantId);
/** Give late deliveries a chance to show up before asserting there are none. */
const settle = () => Bun.sleep(h.bus.kind === "nats" ? 150 : 20);

describe("calls", () => {
  test("initiate, answer, end: stored and announced to the room", async () => {
    const t = uniqueTenant();
    addRoom(t, 7, ["alice", "bob", "carol"]);

    const started = ok(await call("call:initiated", t, "alice", { roomId: "7", callType: "VIDEO", initiatedBy: "mallory" }));
    expect(started).toMatchObject({ roomId: 7, callType: "VIDEO", status: "RINGING", initiatedBy: "alice", endedAt: null });
    expect(typeof started.id).toBe("number");
    expect(started.participants).toEqual([{ userId: "alice", joinedAt: started.createdAt, leftAt: null }]);
    const init = await waitForDelivery(t, "call:initiated");
    expect(init.subject).toBe(subjects.deliver(t, "room", "7"));
    expect(init.envelope.target).toEqual({ kind: "room", id: "7" });
    expect(init.envelope.data).toEqual({ callId: started.id, roomId: 7, callType: "VIDEO", initiatedBy: "alice", timestamp: started.createdAt });

    const answered = ok(await call("call:answered", t, "bob", { callId: started.id, roomId: 999 }));
    expect(answered.status).toBe("ONGOING");
    expect(answered.participants.map((p) => p.userId)).toEqual(["alice", "bob"]);
    const ans = await waitForDelivery(t, "call:answered");
    expect(ans.subject).toBe(subjects.deliver(t, "room", "7"));
    expect(ans.envelope.data).toMatchObject({ callId: started.id, roomId: 7, answeredBy: "bob" });
    expect(Number.isNaN(Date.parse(ans.envelope.data.timestamp))).toBe(false);

    // A later member joining an ongoing call is just one more participant.
    const joined = ok(await call("call:answered", t, "carol", { callId: String(started.id) }));
    expect(joined.status).toBe("ONGOING");
    expect(joined.participants.map((p) => p.userId)).toEqual(["alice", "bob", "carol"]);
    await waitForDelivery(t, "call:answered", (d) => d.answeredBy === "carol");

    const ended = ok(await call("call:ended", t, "carol", { callId: started.id }));
    expect(ended.status).toBe("ENDED");
    expect(ended.endedAt).not.toBeNull();
    for (const p of ended.participants) expect(p.leftAt).toBe(ended.endedAt);
    const end = await waitForDelivery(t, "call:ended");
    expect(end.subject).toBe(subjects.deliver(t, "room", "7"));
    expect(end.envelope.data).toEqual({ callId: started.id, roomId: 7, endedBy: "carol", timestamp: ended.endedAt });
  });

  test("a ringing call can be ended without being answered; callType defaults to AUDIO", async () => {
    const t = uniqueTenant();
    addRoom(t, 1, ["alice"]);
    const c = ok(await call("call:initiated", t, "alice", { roomId: 1 }));
    expect(c.callType).toBe("AUDIO");
    const ended = ok(await call("call:ended", t, "alice", { callId: c.id }));
    expect(ended.status).toBe("ENDED");
    expect(ended.participants).toEqual([{ userId: "alice", joinedAt: c.createdAt, leftAt: ended.endedAt }]);
  });

  test("illegal transitions are CONFLICT and announce nothing", async () => {
    const t = uniqueTenant();
    addRoom(t, 3, ["alice", "bob", "dave"]);
    const c = ok(await call("call:initiated", t, "alice", { roomId: 3, callType: "AUDIO" }));
    refused(await call("call:answered", t, "alice", { callId: c.id }), "CONFLICT"); // already in it
    ok(await call("call:answered", t, "bob", { callId: c.id }));
    refused(await call("call:answered", t, "bob", { callId: c.id }), "CONFLICT");
    ok(await call("call:ended", t, "alice", { callId: c.id }));
    await settle();
    const before = deliveriesOf(t).length;
    refused(await call("call:ended", t, "alice", { callId: c.id }), "CONFLICT");
    refused(await call("call:answered", t, "dave", { callId: c.id }), "CONFLICT");
    await settle();
    expect(deliveriesOf(t).length).toBe(before);
    const stored = await h.http("GET", `/api/calls/${c.id}`, { ctx: { tenantId: t, userId: "dave" } });
    expect(stored.json.participants.map((p: { userId: string }) => p.userId)).toEqual(["alice", "bob"]);
  });

  test("non-members are refused and nothing is stored or announced", async () => {
    const t = uniqueTenant();
    addRoom(t, 4, ["alice"]);
    refused(await call("call:initiated", t, "eve", { roomId: 4, callType: "AUDIO" }), "FORBIDDEN");
    refused(await call("call:initiated", t, "alice", { roomId: 5, callType: "AUDIO" }), "FORBIDDEN"); // room chat does not know
    const c = ok(await call("call:initiated", t, "alice", { roomId: 4 }));
    refused(await call("call:answered", t, "eve", { callId: c.id }), "FORBIDDEN");
    refused(await call("call:ended", t, "eve", { callId: c.id }), "FORBIDDEN");
    await settle();
    expect(deliveriesOf(t).map((d) => d.envelope.event)).toEqual(["call:initiated"]);
    const stored = await h.http("GET", `/api/calls/${c.id}`, { ctx: { tenantId: t, userId: "alice" } });
    expect(stored.json.status).toBe("RINGING");
    expect(stored.json.participants).toHaveLength(1);
  });

  test("chat not answering is UNAVAILABLE, never a yes", async () => {
    const t = uniqueTenant();
    addRoom(t, 1, ["alice"]);
    silentTenants.add(t);
    refused(await call("call:initiated", t, "alice", { roomId: 1 }), "UNAVAILABLE");

    chatPeer.unsubscribe();
    await h.bus.flush();
    try {
      refused(await call("call:initiated", uniqueTenant(), "alice", { roomId: 1 }), "UNAVAILABLE");
    } finally {
      chatPeer = startChatPeer();
      await h.bus.flush();
    }
    await settle();
    expect(deliveriesOf(t)).toHaveLength(0);
  });

  test("unknown call ids are NOT_FOUND", async () => {
    const t = uniqueTenant();
    addRoom(t, 1, ["alice"]);
    const huge = Number.MAX_SAFE_INTEGER;
    refused(await call("call:answered", t, "alice", { callId: huge }), "NOT_FOUND");
    refused(await call("call:ended", t, "alice", { callId: "987654321" }), "NOT_FOUND");
    const r = await h.http("GET", `/api/calls/${huge}`, { ctx: { tenantId: t, userId: "alice" } });
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe("NOT_FOUND");
  });

  test("bad payloads are VALIDATION", async () => {
    const t = uniqueTenant();
    addRoom(t, 1, ["alice"]);
    for (const data of [{}, { roomId: "abc" }, { roomId: 1, callType: "FAX" }, { roomId: -1 }, { roomId: 1.5 }, null, "x"])
      refused(await call("call:initiated", t, "alice", data), "VALIDATION");
    for (const data of [{}, { callId: "0" }, { callId: "1; drop table calls.calls" }, { callId: 2 ** 60 }]) {
      refused(await call("call:answered", t, "alice", data), "VALIDATION");
      refused(await call("call:ended", t, "alice", data), "VALIDATION");
    }
    const r = await h.http("GET", "/api/calls/abc", { ctx: { tenantId: t, userId: "alice" } });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("VALIDATION");
    await settle();
    expect(deliveriesOf(t)).toHaveLength(0);
  });

  test("GET /api/calls/:callId: room members of the tenant only", async () => {
    const t = uniqueTenant();
    const other = uniqueTenant();
    addRoom(t, 9, ["alice", "bob"]);
    addRoom(other, 9, ["alice", "bob"]); // same room id and users elsewhere must not help
    const c = ok(await call("call:initiated", t, "alice", { roomId: 9, callType: "VIDEO" }));
    ok(await call("call:answered", t, "bob", { callId: c.id }));

    const r = await h.http("GET", `/api/calls/${c.id}`, { ctx: { tenantId: t, userId: "bob" } });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ id: c.id, roomId: 9, callType: "VIDEO", status: "ONGOING", initiatedBy: "alice", createdAt: c.createdAt, endedAt: null });
    expect(r.json.participants.map((p: { userId: string }) => p.userId)).toEqual(["alice", "bob"]);

    const foreign = await h.http("GET", `/api/calls/${c.id}`, { ctx: { tenantId: other, userId: "alice" } });
    expect(foreign.status).toBe(404);
    expect(foreign.json.error.code).toBe("NOT_FOUND");
    refused(await call("call:ended", other, "alice", { callId: c.id }), "NOT_FOUND");

    const outsider = await h.http("GET", `/api/calls/${c.id}`, { ctx: { tenantId: t, userId: "eve" } });
    expect(outsider.status).toBe(403);
    expect(outsider.json.error.code).toBe("FORBIDDEN");

    const anonymous = await h.http("GET", `/api/calls/${c.id}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.json.error.code).toBe("UNAUTHENTICATED");
    for (const e of [foreign, outsider, anonymous]) expectSafeMessage(e.json.error.message);
  });

  test("concurrent answers and an end leave one consistent call", async () => {
    const t = uniqueTenant();
    const users = ["u0", "u1", "u2", "u3", "u4", "u5"];
    addRoom(t, 2, users);
    const c = ok(await call("call:initiated", t, "u0", { roomId: 2 }));
    const replies = await Promise.all([...users.slice(1).map((u) => call("call:answered", t, u, { callId: c.id })), call("call:ended", t, "u0", { callId: c.id })]);
    for (const r of replies) if (!r.ok) expect(r.error.code).toBe("CONFLICT");
    const r = await h.http("GET", `/api/calls/${c.id}`, { ctx: { tenantId: t, userId: "u0" } });
    expect(r.json.status).toBe("ENDED");
    const answeredOk = replies.slice(0, -1).filter((x) => x.ok).length;
    expect(r.json.participants).toHaveLength(1 + answeredOk);
    for (const p of r.json.participants) expect(p.leftAt).toBe(r.json.endedAt);
  });

  test("call:signal goes to the recipient only, from the verified sender; refusals relay nothing", async () => {
    const t = uniqueTenant();
    addRoom(t, 11, ["alice", "bob"]);
    addRoom(t, 12, ["eve"]);
    const c = ok(await call("call:initiated", t, "alice", { roomId: 11, callType: "VIDEO" }));
    const offer = { type: "offer", sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n" };
    const relayed = await call("call:signal", t, "alice", { callId: c.id, toUserId: "bob", signal: offer, fromUserId: "mallory" });
    expect(okData(relayed)).toEqual({ callId: c.id, toUserId: "bob" });
    const d = await waitForDelivery(t, "call:signal");
    expect(d.subject).toBe(subjects.deliver(t, "user", "bob"));
    expect(d.envelope.data).toEqual({ callId: c.id, fromUserId: "alice", signal: offer });
    const candidate = { type: "candidate", candidate: { candidate: "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host", sdpMid: "0", sdpMLineIndex: 0 } };
    ok(await call("call:signal", t, "bob", { callId: c.id, toUserId: "alice", signal: candidate }));
    await waitForDelivery(t, "call:signal", (x) => x.fromUserId === "bob");
    await settle();
    const before = deliveriesOf(t).length;

    refused(await call("call:signal", t, "eve", { callId: c.id, toUserId: "bob", signal: offer }), "FORBIDDEN"); // sender outside the room
    refused(await call("call:signal", t, "alice", { callId: c.id, toUserId: "eve", signal: offer }), "FORBIDDEN"); // recipient outside
    refused(await call("call:signal", t, "alice", { callId: 987654321, toUserId: "bob", signal: offer }), "NOT_FOUND");
    refused(await call("call:signal", uniqueTenant(), "alice", { callId: c.id, toUserId: "bob", signal: offer }), "NOT_FOUND"); // another tenant
    for (const signal of [
      { type: "offer" },
      { type: "offer", sdp: "x".repeat(32 * 1024 + 1) },
      { type: "bye", sdp: "x" },
      { type: "offer", sdp: "x", extra: 1 },
      { type: "candidate", candidate: "candidate:1" },
      { type: "candidate", candidate: { candidate: "x".repeat(1025) } },
      { type: "candidate", candidate: { candidate: "c", evil: true } },
    ])
      refused(await call("call:signal", t, "alice", { callId: c.id, toUserId: "bob", signal }), "VALIDATION");
    refused(await call("call:signal", t, "alice", { callId: c.id, signal: offer }), "VALIDATION");

    ok(await call("call:ended", t, "alice", { callId: c.id }));
    await waitForDelivery(t, "call:ended");
    refused(await call("call:signal", t, "alice", { callId: c.id, toUserId: "bob", signal: offer }), "CONFLICT");
    await settle();
    expect(
      deliveriesOf(t)
        .slice(before)
        .map((x) => x.envelope.event),
    ).toEqual(["call:ended"]);
  });

  test("call:leave: the room hears call:left, the call goes on; the last one out ends it", async () => {
    const t = uniqueTenant();
    addRoom(t, 21, ["alice", "bob", "eve"]);
    const c = ok(await call("call:initiated", t, "alice", { roomId: 21 }));
    ok(await call("call:answered", t, "bob", { callId: c.id }));
    refused(await call("call:leave", t, "eve", { callId: c.id }), "CONFLICT"); // a member, but not in the call
    refused(await call("call:leave", t, "mallory", { callId: c.id }), "FORBIDDEN");
    refused(await call("call:participants", t, "mallory", { callId: c.id }), "FORBIDDEN");

    const afterAlice = ok(await call("call:leave", t, "alice", { callId: c.id }));
    expect(afterAlice.status).toBe("ONGOING");
    const left = await waitForDelivery(t, "call:left");
    expect(left.subject).toBe(subjects.deliver(t, "room", "21"));
    expect(left.envelope.data).toEqual({ callId: c.id, roomId: 21, userId: "alice", timestamp: expect.any(String) });
    refused(await call("call:leave", t, "alice", { callId: c.id }), "CONFLICT"); // already out

    const who = okData<{ callId: number; status: string; participants: Array<{ userId: string; joinedAt: string; leftAt: string | null }> }>(
      await call("call:participants", t, "eve", { callId: c.id }),
    );
    expect(who).toEqual({
      callId: c.id,
      status: "ONGOING",
      participants: [
        { userId: "alice", joinedAt: c.createdAt, leftAt: left.envelope.data.timestamp },
        { userId: "bob", joinedAt: expect.any(String), leftAt: null },
      ],
    });

    // Alice comes back, then both leave: the second leaver ends it.
    ok(await call("call:answered", t, "alice", { callId: c.id }));
    ok(await call("call:leave", t, "bob", { callId: c.id }));
    expect(deliveriesOf(t).some((x) => x.envelope.event === "call:ended")).toBe(false);
    const last = ok(await call("call:leave", t, "alice", { callId: c.id }));
    expect(last.status).toBe("ENDED");
    const ended = await waitForDelivery(t, "call:ended");
    expect(ended.envelope.data).toMatchObject({ callId: c.id, roomId: 21, endedBy: "alice" });
    refused(await call("call:leave", t, "alice", { callId: c.id }), "CONFLICT");
    refused(await call("call:participants", t, "alice", { callId: 987654321 }), "NOT_FOUND");
  });

  test("a user gone from every gateway (presence) leaves their calls; a repeat of the fact changes nothing", async () => {
    const t = uniqueTenant();
    addRoom(t, 31, ["alice", "bob"]);
    const c = ok(await call("call:initiated", t, "alice", { roomId: 31 }));
    ok(await call("call:answered", t, "bob", { callId: c.id }));
    const gone: UserGone = { id: `gone-${crypto.randomUUID()}`, tenantId: t, userId: "bob", ts: Date.now() };
    // Twice, as two presence replicas would send it.
    h.bus.publish(subjects.userGone(t), gone);
    h.bus.publish(subjects.userGone(t), gone);
    const left = await waitForDelivery(t, "call:left");
    expect(left.envelope.data).toMatchObject({ callId: c.id, userId: "bob" });
    await settle();
    expect(deliveriesOf(t).filter((x) => x.envelope.event === "call:left")).toHaveLength(1);
    const now = okData<{ status: string }>(await call("call:participants", t, "alice", { callId: c.id }));
    expect(now.status).toBe("ONGOING");

    h.bus.publish(subjects.userGone(t), { ...gone, userId: "alice" });
    const ended = await waitForDelivery(t, "call:ended");
    expect(ended.envelope.data).toMatchObject({ callId: c.id, endedBy: "alice" });
  });
});
