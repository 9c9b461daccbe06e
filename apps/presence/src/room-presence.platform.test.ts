import { afterAll, beforeAll, expect, test } from "bun:test";
import { emitAck, expectNone, recorder, startPlatform, startTwoPlatforms, testMode, waitFor, type TestPlatform } from "@rt/testkit";

/**
 * Per-room presence through real gateways. In nats mode two whole platforms share one namespace:
 * two gateways and two presence replicas, so "once across gateways" is really tested; in embedded
 * mode both names point at the one platform.
 */
let p1: TestPlatform;
let p2: TestPlatform;
let stop: () => Promise<void>;
beforeAll(async () => {
  if (testMode() === "embedded") {
    p1 = p2 = await startPlatform();
    stop = () => p1.stop();
    return;
  }
  ({ p1, p2, stop } = await startTwoPlatforms("room-presence-owner"));
}, 60_000);
afterAll(() => stop?.(), 30_000);

const on = (p: TestPlatform, sub: string) => p.connect({ sub, tenantId: p1.tenant });

async function until(check: () => boolean, ms = 10_000) {
  for (const end = Date.now() + ms; !check(); await Bun.sleep(20)) if (Date.now() > end) throw new Error("condition not met in time");
}

async function createRoom(owner: string, memberIds: string[]): Promise<number> {
  const res = await p1.fetch("/api/chat/rooms", { method: "POST", token: await p1.token({ sub: owner }), json: { name: "presence", memberIds } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: number }).id;
}

test("room:user-online / -offline once per user (not per tab), on every gateway; room:presence is cluster-wide, members only", async () => {
  const roomId = await createRoom("rp-ann", ["rp-bob"]);
  const ann = await on(p1, "rp-ann");
  const annSaw = recorder(ann);
  expect((await emitAck(ann, "join_room", { roomId })).ok).toBe(true);
  // Ann hears her own arrival (it may come before the ack, hence the recorder).
  await until(() => annSaw.of("room:user-online").some((d) => (d as { userId: string }).userId === "rp-ann"));

  // Bob's first tab on the other gateway: Ann (gateway 1) hears it once.
  const [bob1, bob2] = await Promise.all([on(p2, "rp-bob"), on(p1, "rp-bob")]);
  const bobOnline = waitFor<{ roomId: number; userId: string; timestamp: string }>(ann, "room:user-online", { filter: (d) => d.userId === "rp-bob" });
  expect((await emitAck(bob1, "join_room", { roomId })).ok).toBe(true);
  expect(await bobOnline).toEqual({ roomId, userId: "rp-bob", timestamp: expect.any(String) });
  // His second tab is not news.
  const noMore = expectNone(ann, "room:user-online", 1000);
  expect((await emitAck(bob2, "join_room", { roomId })).ok).toBe(true);
  await noMore;

  const list = await emitAck(ann, "room:presence", { roomId });
  expect(list).toEqual({
    ok: true,
    data: { online: [expect.objectContaining({ userId: "rp-ann" }), expect.objectContaining({ userId: "rp-bob", name: "rp-bob", since: expect.any(String) })] },
  });

  // Refusals: a non-member, a room of nobody, a bad id.
  const eve = await on(p2, "rp-eve");
  for (const [sock, data, code] of [
    [eve, { roomId }, "FORBIDDEN"],
    [ann, { roomId: 987654321 }, "FORBIDDEN"],
    [ann, { roomId: "x" }, "VALIDATION"],
    [ann, {}, "VALIDATION"],
  ] as const) {
    const r = await emitAck(sock, "room:presence", data);
    expect(r.ok ? "OK" : r.error.code).toBe(code);
  }

  // One tab leaves the room: still there. The last one closes: offline, once.
  const noOffline = expectNone(ann, "room:user-offline", 1000);
  expect((await emitAck(bob1, "leave_room", { roomId })).ok).toBe(true);
  await noOffline;
  const bobOffline = waitFor(ann, "room:user-offline", { timeoutMs: 10_000 });
  bob2.disconnect();
  expect(await bobOffline).toEqual({ roomId, userId: "rp-bob", timestamp: expect.any(String) });
  await Bun.sleep(500);
  expect(annSaw.of("room:user-online").filter((d) => (d as { userId: string }).userId === "rp-bob")).toHaveLength(1);
  expect(annSaw.of("room:user-offline")).toHaveLength(1);
  const after = await emitAck(ann, "room:presence", { roomId });
  expect(after.ok && after.data.online.map((u: { userId: string }) => u.userId)).toEqual(["rp-ann"]);

  // Back again (same socket, a new join): a new event, not swallowed as a repeat.
  const again = waitFor<{ roomId: number; userId: string; timestamp: string }>(ann, "room:user-online", { filter: (d) => d.userId === "rp-bob" });
  expect((await emitAck(bob1, "join_room", { roomId })).ok).toBe(true);
  await again;
}, 60_000);
