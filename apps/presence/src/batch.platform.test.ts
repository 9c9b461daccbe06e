import { afterAll, beforeAll, expect, test } from "bun:test";
import { io as ioClient } from "socket.io-client";
import { emitAck, startPlatform, startTwoPlatforms, testMode, type ClientSocket, type TestPlatform } from "@rt/testkit";

/**
 * Issue 21, presence at tenant scale: a tenant's reconnect storm. Every connect used to be a
 * `user:online` to the whole tenant, N per socket (O(N²) in all); a socket that asks for
 * `presence: "batch"` gets one `presence:batch` per PRESENCE_BATCH_MS instead. nats mode runs two
 * platforms on one namespace (two gateways, two presence replicas: a batch is made by both and
 * delivered once); cluster mode the shared cluster (two gateways, two replicas of every service).
 */
let p1: TestPlatform;
let p2: TestPlatform;
let stop: () => Promise<void>;
beforeAll(async () => {
  if (testMode() !== "nats") {
    p1 = p2 = await startPlatform();
    stop = () => p1.stop();
    return;
  }
  ({ p1, p2, stop } = await startTwoPlatforms("presence-batch-owner"));
}, 60_000);
afterAll(() => stop?.(), 30_000);

const PRESENCE_EVENTS = new Set(["user:online", "user:offline", "presence:batch"]);

/** A client's view of who is online: `presence:list` at connect, then every presence frame after its answer. */
interface Watcher {
  sub: string;
  socket: ClientSocket;
  online: Set<string>;
  frames: Record<string, number>;
}

async function watch(p: TestPlatform, sub: string, presence: "user" | "batch", gateway: number): Promise<Watcher> {
  const socket = await p.connect({ sub, tenantId: p1.tenant, auth: { presence }, gateway });
  const w: Watcher = { sub, socket, online: new Set(), frames: {} };
  let listed = false;
  const apply = (event: string, d: any) => {
    if (event === "user:online") w.online.add(d.userId);
    if (event === "user:offline") w.online.delete(d.userId);
    if (event === "presence:batch") {
      for (const u of d.online) w.online.add(u);
      for (const u of d.offline) w.online.delete(u);
    }
  };
  // Frames before the list's answer are applied after it: the list may come from a replica that had not seen them yet.
  const early: Array<[string, unknown]> = [];
  socket.onAny((event: string, d: unknown) => {
    if (!PRESENCE_EVENTS.has(event)) return;
    w.frames[event] = (w.frames[event] ?? 0) + 1;
    if (listed) apply(event, d);
    else early.push([event, d]);
  });
  const ack = await emitAck<{ users: Array<{ userId: string }> }>(socket, "presence:list", undefined, 20_000);
  if (!ack.ok) throw new Error(`presence:list failed: ${JSON.stringify(ack)}`);
  for (const u of ack.data!.users) w.online.add(u.userId);
  for (const [event, d] of early) apply(event, d);
  listed = true;
  return w;
}

const total = (w: Watcher) => Object.values(w.frames).reduce((a, b) => a + b, 0);

async function until(check: () => boolean, ms: number, what: string) {
  for (const end = Date.now() + ms; !check(); await Bun.sleep(50)) if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
}

test("reconnect storm of a tenant within 10 s: ≤ 5 presence frames per batch socket (not one per user), every view correct at the end, per-user sockets unchanged", async () => {
  const N = 60;
  const STORM_MS = 10_000;
  const users = Array.from({ length: N }, (_, i) => `storm-${i}`);
  const platformOf = (i: number) => (i % 2 === 0 ? p1 : p2);
  // The tenant is up: every user online, in batch mode.
  const first = await Promise.all(users.map((u, i) => platformOf(i).connect({ sub: u, tenantId: p1.tenant, auth: { presence: "batch" }, gateway: i % 2 })));
  // A seed client (per-user events) on each gateway watches the storm.
  const seeds = await Promise.all([watch(p1, "seed-0", "user", 0), watch(p2, "seed-1", "user", 1)]);
  const everyone = new Set([...users, "seed-0", "seed-1"]);
  await until(() => seeds.every((s) => users.every((u) => s.online.has(u))), 30_000, "seed clients see the tenant online");

  // The storm: every batch socket drops and comes back within STORM_MS (a gateway restart).
  for (const s of first) s.close();
  const started = performance.now();
  const storm = await Promise.all(users.map((u, i) => Bun.sleep((i * STORM_MS) / N).then(() => watch(platformOf(i), u, "batch", i % 2))));
  const stormMs = performance.now() - started;
  // A storm of 10 s spans at most 4 windows of 4 s, plus the repeat of the last window's margin: 5.
  // A loaded box can stretch it; then the bound is the windows it really spanned.
  const batchMs = p1.config.PRESENCE_BATCH_MS;
  const bound = Math.max(5, Math.ceil(stormMs / batchMs) + 2);

  // Settled: every client's view is the whole tenant online.
  const wrong = () =>
    [...storm, ...seeds]
      .map((w) => ({ sub: w.sub, missing: [...everyone].filter((u) => !w.online.has(u)), extra: [...w.online].filter((u) => !everyone.has(u)), frames: w.frames }))
      .filter((x) => x.missing.length + x.extra.length > 0);
  await until(() => wrong().length === 0, 30_000, "every view correct").catch((err) => {
    throw new Error(`${err.message}: ${JSON.stringify(wrong().slice(0, 5))} (${wrong().length} wrong)`);
  });
  const settledMs = performance.now() - started;
  // A batch already on its way (the margin) still counts.
  await Bun.sleep(batchMs + 500);
  const perSocket = storm.map(total);
  const seedPerUser = seeds.map((s) => s.frames["user:online"] ?? 0);
  console.log(
    `presence storm (${testMode()}): ${N} users reconnecting in ${stormMs.toFixed(0)} ms, settled after ${settledMs.toFixed(0)} ms; ` +
      `frames per batch socket max ${Math.max(...perSocket)} (bound ${bound}), mean ${(perSocket.reduce((a, b) => a + b, 0) / N).toFixed(1)}; ` +
      `seed sockets got ${seedPerUser.join(", ")} user:online`,
  );
  for (const w of storm) {
    expect(w.frames["user:online"] ?? 0).toBe(0);
    expect(w.frames["user:offline"] ?? 0).toBe(0);
    expect(total(w)).toBeLessThanOrEqual(bound);
    expect([...w.online].sort()).toEqual([...everyone].sort());
  }
  // Seed clients keep per-user events, never a batch: each user went offline and online again.
  for (const s of seeds) {
    expect(s.frames["presence:batch"] ?? 0).toBe(0);
    expect(s.frames["user:online"]).toBeGreaterThanOrEqual(N);
    expect([...s.online].sort()).toEqual([...everyone].sort());
  }

  // And the way down: a batch socket sees the others go.
  const [stay, ...leave] = storm;
  for (const w of leave) w.socket.close();
  await until(() => stay!.online.size === 3, 30_000, "the leavers offline");
  expect([...stay!.online].sort()).toEqual(["seed-0", "seed-1", stay!.sub].sort());
}, 120_000);

/** The connect_error a handshake gets (or "connected"). */
async function handshake(auth: Record<string, unknown>, query?: Record<string, string>): Promise<unknown> {
  const token = await p1.token({ sub: "mode-check", tenantId: p1.tenant });
  const s = ioClient(p1.gatewayUrls[0]!, { transports: ["websocket"], reconnection: false, forceNew: true, auth: { token, ...auth }, query });
  try {
    return await new Promise((resolve) => {
      s.once("connect", () => resolve("connected"));
      s.once("connect_error", (e: Error & { data?: unknown }) => resolve({ message: e.message, data: e.data }));
    });
  } finally {
    s.close();
  }
}

test("a presence mode the gateway does not know, or auth and query disagreeing, is refused with VALIDATION", async () => {
  const refused = (reason: string) => ({ message: "invalid handshake", data: { code: "VALIDATION", reason } });
  expect(await handshake({ presence: "firehose" })).toEqual(refused("presence must be one of: user, batch"));
  expect(await handshake({}, { presence: "all" })).toEqual(refused("presence must be one of: user, batch"));
  expect(await handshake({ presence: "user" }, { presence: "batch" })).toEqual(refused("auth.presence and ?presence= disagree"));
  expect(await handshake({}, { presence: "batch" })).toBe("connected");
  expect(await handshake({ presence: "batch" })).toBe("connected");
});
