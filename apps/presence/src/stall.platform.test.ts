import { afterAll, beforeAll, expect, test } from "bun:test";
import { GATEWAY_TIMEOUT_MS } from "@rt/contracts";
import { emitAck, recorder, startPlatform, type TestPlatform } from "@rt/testkit";

/**
 * A process that stalls (a busy all-in-one, a long GC) must not take its gateways for dead: after
 * the stall, presence's sweep timer can run before the heartbeats that are already due or queued,
 * and used to announce every user offline and, at the next beat's resync, online again (N²
 * deliveries for a tenant of N: docs/scaling.md, bottleneck 5).
 */
let p: TestPlatform;
beforeAll(async () => {
  p = await startPlatform({ inProcess: true });
}, 60_000);
afterAll(() => p?.stop(), 30_000);

test(`a ${(GATEWAY_TIMEOUT_MS + 1500) / 1000} s stall of the process announces nobody offline and keeps everyone listed`, async () => {
  const [ann, bob] = await Promise.all([p.connect({ sub: "stall-ann" }), p.connect({ sub: "stall-bob" })]);
  const heard = recorder(bob);
  await Bun.sleep(1500); // a heartbeat or two in
  const end = Date.now() + GATEWAY_TIMEOUT_MS + 1500;
  while (Date.now() < end) {} // the event loop blocked: no timer, no I/O
  await Bun.sleep(2500);
  console.log(`presence stall (${p.mode}): user:offline heard ${heard.of("user:offline").length}, user:online ${heard.of("user:online").length}`);
  expect(heard.of("user:offline")).toEqual([]);
  const list = await emitAck(bob, "presence:list");
  expect(list.ok && list.data.users.map((u: { userId: string }) => u.userId).sort()).toEqual(["stall-ann", "stall-bob"]);
  ann.close();
  bob.close();
}, 60_000);
