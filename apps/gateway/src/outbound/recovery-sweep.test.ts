import { afterAll, beforeAll, expect, test } from "bun:test";
import { io as ioClient } from "socket.io-client";
import { subjects } from "@rt/contracts";
import type { KvStore } from "@rt/bus";
import { dropNamespace, startCluster, startPlatform, testMode, testNamespace, waitFor, TEST_NATS_URL, type ClientSocket, type TestPlatform } from "@rt/testkit";
import { GATEWAYS_BUCKET, SESSIONS_BUCKET, type StoredSession } from "./recovery.ts";

/**
 * Issue 15 item 7: a session outlives its socket by the recovery window plus a margin, not 24 h.
 * Sweeps remove it after a recorded disconnect, and also when its gateway died without a word.
 * Embedded and NATS modes; NATS also with a gateway process SIGKILLed.
 */
const WINDOW = 1000;
const MARGIN = 500;
const env = { RECOVERY_MS: String(WINDOW), SESSION_MARGIN_MS: String(MARGIN) };
const namespace = testNamespace();
let p: TestPlatform;
let sessions: KvStore;
beforeAll(async () => {
  p = await startPlatform({ inProcess: true, env, namespace });
  sessions = await p.platform.bus.kv(SESSIONS_BUCKET, { ttlMs: 24 * 3600_000 });
}, 60_000);
afterAll(async () => {
  await p.stop();
  if (p.mode !== "embedded") await dropNamespace(TEST_NATS_URL, namespace);
});

const pidOf = (s: ClientSocket) => (s as unknown as { _pid: string })._pid;
const open = async (url: string, sub: string) => {
  const s = ioClient(url, { auth: { token: await p.token({ sub }) }, transports: ["websocket"], forceNew: true, reconnection: false });
  await waitFor(s, "connect", { timeoutMs: 10_000 });
  return s;
};
/** Milliseconds until `key` leaves the session bucket (polling), or null if it is still there after `ms`. */
async function goneAfter(key: string, ms: number): Promise<number | null> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if ((await sessions.get(key)) === null) return Date.now() - start;
    await Bun.sleep(50);
  }
  return null;
}

test(`a dropped socket's session is swept once the window (${WINDOW} ms) plus the margin (${MARGIN} ms) has passed, not before`, async () => {
  const s = await open(p.url, "sweep-drop");
  const pid = pidOf(s);
  await Bun.sleep(100);
  expect(await sessions.get(pid)).toMatchObject({ pid });
  const gone = waitFor(s, "disconnect");
  p.platform.gateway.io.of("/").sockets.get(s.id!)?.conn.close();
  await gone;
  await Bun.sleep(WINDOW / 2);
  const stored = (await sessions.get(pid)) as StoredSession;
  expect(stored.pid).toBe(pid);
  const { disconnectedAt } = stored;
  expect(typeof disconnectedAt).toBe("number");
  const after = await goneAfter(pid, 10_000);
  // Measured from the disconnect the gateway recorded, which the sweep counts from: the client
  // hears of the drop a moment later (CI once saw 1,499 ms from the client's side).
  const since = Date.now() - disconnectedAt!;
  console.log(`session sweep (${p.mode}): dropped socket's session gone ${since} ms after the drop (window ${WINDOW} + margin ${MARGIN})`);
  expect(after).not.toBeNull();
  expect(since).toBeGreaterThanOrEqual(WINDOW + MARGIN);
  s.close();
}, 30_000);

test("a session left by a gateway that no longer answers (no disconnect recorded) is swept after window + margin, and the gateway leaves the registry", async () => {
  const dead = `gw-dead-${crypto.randomUUID().slice(0, 8)}`;
  const pid = `${dead}.sess`;
  const orphan: StoredSession = {
    sid: `sid-${dead}`,
    pid,
    rooms: [],
    data: { principal: { userId: "ghost", tenantId: p.tenant, roles: [], name: "Ghost" }, since: new Date().toISOString() },
    gatewayId: dead,
  };
  // What a gateway does at start (register) and at its sockets' connects, before it was killed.
  const registry = await p.platform.bus.kv(GATEWAYS_BUCKET, { ttlMs: 24 * 3600_000 });
  await registry.put(dead, { at: Date.now() });
  await sessions.put(pid, orphan);
  const start = Date.now();
  const after = await goneAfter(pid, 10_000);
  console.log(`session sweep (${p.mode}): dead gateway's session gone after ${after} ms`);
  expect(after).not.toBeNull();
  expect(Date.now() - start).toBeGreaterThanOrEqual(WINDOW + MARGIN);
  const end = Date.now() + 5000;
  while ((await registry.get(dead)) !== null && Date.now() < end) await Bun.sleep(50);
  expect(await registry.get(dead)).toBeNull();
  expect(await registry.get(p.platform.gateway.id)).not.toBeNull();
}, 30_000);

test("a dead gateway's prefix is swept by the gateway after it, except the sessions recovered onto a gateway that still answers; its registry entry stays while any are left", async () => {
  const dead = `gw-dead-${crypto.randomUUID().slice(0, 8)}`;
  const moved = `gw-live-${crypto.randomUUID().slice(0, 8)}`;
  const live = p.platform.bus.respond(subjects.gatewayAlive(moved), () => ({ alive: true }), { queue: moved });
  try {
    const registry = await p.platform.bus.kv(GATEWAYS_BUCKET, { ttlMs: 24 * 3600_000 });
    await registry.put(dead, { at: Date.now() });
    const session = (pid: string, gatewayId: string): StoredSession => ({
      sid: `sid-${pid}`,
      pid,
      rooms: [],
      data: { principal: { userId: "ghost", tenantId: p.tenant, roles: [], name: "Ghost" }, since: new Date().toISOString() },
      gatewayId,
    });
    // Born on the dead gateway: one still there when it died, one recovered since onto a live gateway.
    await sessions.put(`${dead}.gone`, session(`${dead}.gone`, dead));
    await sessions.put(`${dead}.moved`, session(`${dead}.moved`, moved));
    expect(await goneAfter(`${dead}.gone`, 10_000)).not.toBeNull();
    await Bun.sleep(WINDOW + MARGIN);
    expect(await sessions.get(`${dead}.moved`)).toMatchObject({ gatewayId: moved });
    expect(await registry.get(dead)).not.toBeNull();
  } finally {
    live.unsubscribe();
  }
}, 30_000);

test("a live socket's session is never swept", async () => {
  const s = await open(p.url, "sweep-live");
  await Bun.sleep(WINDOW + MARGIN + 1500);
  expect(await sessions.get(pidOf(s))).toMatchObject({ pid: pidOf(s) });
  s.close();
}, 30_000);

// A real process SIGKILLed needs NATS: the in-process bus cannot span processes.
if (testMode() !== "embedded") {
  test("a session of a SIGKILLed gateway's socket is swept by the gateways left", async () => {
    const cluster = await startCluster({ gateways: 1, replicas: 0, namespace, env: { ...env, LOG_LEVEL: "warn" }, dropNamespace: false });
    try {
      const s = await open(cluster.gatewayUrls[0]!, "sweep-killed");
      const pid = pidOf(s);
      await Bun.sleep(200);
      expect(pid).toStartWith("gw-1.");
      expect(await sessions.get(pid)).toMatchObject({ pid, gatewayId: "gw-1" });
      await cluster.gateways[0]!.kill("SIGKILL");
      const killed = Date.now();
      const after = await goneAfter(pid, 15_000);
      console.log(`session sweep (${p.mode}): SIGKILLed gateway's session gone ${after === null ? "never" : `${Date.now() - killed} ms after the kill`}`);
      expect(after).not.toBeNull();
      s.close();
    } finally {
      await cluster.stop();
    }
  }, 120_000);
}
