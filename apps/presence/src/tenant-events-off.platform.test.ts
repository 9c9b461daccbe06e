import { afterAll, beforeAll, expect, test } from "bun:test";
import { emitAck, expectNone, recorder, startPlatform, waitFor, type TestPlatform } from "@rt/testkit";

/** PRESENCE_TENANT_EVENTS=false: no tenant-wide presence at all; presence per chat room and presence:list stay. */
let p: TestPlatform;
beforeAll(async () => {
  p = await startPlatform({ env: { PRESENCE_TENANT_EVENTS: "false", PRESENCE_BATCH_MS: "500" } });
}, 60_000);
afterAll(() => p?.stop(), 30_000);

test("nobody hears user:online, user:offline or presence:batch; room:user-online and presence:list still work", async () => {
  const token = await p.token({ sub: "off-owner" });
  const res = await p.fetch("/api/chat/rooms", { method: "POST", token, json: { name: "off", memberIds: ["off-guest"] } });
  expect(res.status).toBe(201);
  const roomId = ((await res.json()) as { id: number }).id;
  const [perUser, batch] = await Promise.all([p.connect({ sub: "off-owner" }), p.connect({ sub: "off-watcher", auth: { presence: "batch" } })]);
  const heard = [recorder(perUser), recorder(batch)];
  expect((await emitAck(perUser, "join_room", { roomId })).ok).toBe(true);

  const guest = await p.connect({ sub: "off-guest" });
  const guestInRoom = waitFor(perUser, "room:user-online", { filter: (d) => d.userId === "off-guest", timeoutMs: 10_000 });
  expect((await emitAck(guest, "join_room", { roomId })).ok).toBe(true);
  await guestInRoom;
  const list = await emitAck(batch, "presence:list");
  expect(list.ok && list.data.users.map((u: { userId: string }) => u.userId).sort()).toEqual(["off-guest", "off-owner", "off-watcher"]);
  guest.close();
  // Two batch intervals and more: still nothing tenant-wide.
  await expectNone(batch, "presence:batch", 1500);
  for (const r of heard) for (const e of ["user:online", "user:offline", "presence:batch"]) expect(r.of(e)).toEqual([]);
}, 60_000);
