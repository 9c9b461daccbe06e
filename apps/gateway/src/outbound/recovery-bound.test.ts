import { afterAll, beforeAll, expect, test } from "bun:test";
import { io as ioClient } from "socket.io-client";
import type { Gauge } from "prom-client";
import { connect, type RejoinReport, type StateChange } from "@rt/client";
import { createMetrics, deliverRaw } from "@rt/service-kit";
import { startWithSecondGateway, waitFor, type ClientSocket, type TestPlatform } from "@rt/testkit";
import type { RunningGateway } from "../gateway.ts";

/**
 * Issue 15 item 6: a recovery replays at most RECOVERY_MAX_EVENTS events and RECOVERY_MAX_BYTES
 * bytes, and one gateway runs at most RECOVERY_MAX_CONCURRENT replays at once. Past the bound the
 * socket is not recovered (a fresh session) and the client SDK re-joins. Embedded and NATS modes.
 */
const MAX_EVENTS = 1000;
const MAX_BYTES = 256 * 1024;
const CONCURRENT = 2;
let p: TestPlatform;
let gw: RunningGateway;
const metrics = createMetrics("gw-bound");
let stop: () => Promise<void>;
beforeAll(async () => {
  const env = { RECOVERY_MAX_EVENTS: String(MAX_EVENTS), RECOVERY_MAX_BYTES: String(MAX_BYTES), RECOVERY_MAX_CONCURRENT: String(CONCURRENT) };
  ({ p, second: gw, stop } = await startWithSecondGateway({ env, metrics, name: "gw-bound" }));
}, 60_000);
afterAll(() => stop());

const open = (token: string) => ioClient(gw.url, { auth: { token }, transports: ["websocket"], forceNew: true, reconnection: false });

/** Publish `n` data-change events of about `size` bytes to a sync type; resolves once `witness` (in that type) got them all. */
async function flood(witness: ClientSocket, entityType: string, n: number, size = 0, from = 0) {
  let got = 0;
  const done = new Promise<void>((resolve) => witness.on("data-change", (d: { entityType: string }) => d.entityType === entityType && ++got === n && resolve()));
  const pad = "x".repeat(size);
  for (let i = from; i < from + n; i++)
    deliverRaw(p.platform.bus, { tenantId: p.tenant, target: { kind: "sync", id: entityType }, event: "data-change", data: { entityType, action: "UPDATE", data: { n: i, pad } } });
  await done;
}

/** A raw client in `entityType` with an offset, and a witness socket in the same type. */
async function member(sub: string, entityType: string) {
  const s = open(await p.token({ sub }));
  const witness = open(await p.token({ sub: `${sub}-witness` }));
  await Promise.all([waitFor(s, "connect"), waitFor(witness, "connect")]);
  for (const c of [s, witness]) expect(await c.timeout(5000).emitWithAck("join-data-sync", [entityType])).toMatchObject({ ok: true });
  const first = waitFor(s, "data-change");
  await flood(witness, entityType, 1, 0, -1);
  await first;
  return { s, witness };
}

/** Drop a socket's transport from the server side (a recoverable disconnect). */
async function drop(s: ClientSocket) {
  const gone = waitFor(s, "disconnect");
  gw.io.of("/").sockets.get(s.id!)?.conn.close();
  await gone;
}

test(`a reconnect after 5,000 missed events with RECOVERY_MAX_EVENTS ${MAX_EVENTS}: not recovered, nothing replayed, the SDK re-joins and live events flow again`, async () => {
  const entityType = `Big${crypto.randomUUID().slice(0, 6)}`;
  const token = await p.token({ sub: "herd-sdk" });
  const c = connect({ url: gw.url, token, socketOptions: { transports: ["websocket"], forceNew: true, reconnection: false } });
  await new Promise<void>((r) => c.onStateChange((s) => s.state === "connected" && r()));
  await c.request("join-data-sync", [entityType]);
  const witness = open(await p.token({ sub: "herd-witness" }));
  await waitFor(witness, "connect");
  await witness.timeout(5000).emitWithAck("join-data-sync", [entityType]);
  const seen: number[] = [];
  c.on("data-change", (d) => void seen.push((d.data as { n: number }).n));
  await flood(witness, entityType, 1, 0, -1);
  while (!seen.length) await Bun.sleep(5);

  const gone = new Promise<void>((r) => c.onStateChange((s) => s.state !== "connected" && r()));
  gw.io.of("/").sockets.get(c.socket.id!)?.conn.close();
  await gone;
  await flood(witness, entityType, 5000);
  const rejoined = new Promise<RejoinReport>((r) => c.onRejoin(r));
  const back = new Promise<StateChange>((r) => c.onStateChange((s) => s.state === "connected" && r(s)));
  c.socket.connect();
  const state = await back;
  // A recovered session re-joins nothing: do not wait forever for the report.
  const report = await Promise.race([rejoined, Bun.sleep(5000).then(() => null)]);
  await Bun.sleep(300);
  const replayed = seen.filter((n) => n >= 0).length;
  console.log(`bounded replay (${p.mode}): 5000 missed, bound ${MAX_EVENTS}: recovered ${state.recovered}, replayed ${replayed}`);
  expect({ recovered: state.recovered, replayed }).toEqual({ recovered: false, replayed: 0 });
  expect(report).toEqual({ restored: ["join-data-sync"], failed: [] });
  // Re-joined: live events reach the fresh session.
  await flood(witness, entityType, 1, 0, 10_000);
  await Bun.sleep(200);
  expect(seen.at(-1)).toBe(10_000);
  c.disconnect();
  witness.close();
}, 60_000);

test(`missed events over RECOVERY_MAX_BYTES (40 × 16 KiB, bound ${MAX_BYTES / 1024} KiB): not recovered, nothing replayed`, async () => {
  const entityType = `Fat${crypto.randomUUID().slice(0, 6)}`;
  const { s, witness } = await member("fat", entityType);
  const seen: number[] = [];
  s.on("data-change", (d: { data: { n: number } }) => void seen.push(d.data.n));
  await drop(s);
  await flood(witness, entityType, 40, 16 * 1024);
  const back = waitFor(s, "connect", { timeoutMs: 10_000 });
  s.connect();
  await back;
  await Bun.sleep(300);
  expect({ recovered: s.recovered, replayed: seen.length }).toEqual({ recovered: false, replayed: 0 });
  s.close();
  witness.close();
}, 30_000);

test(`a gap under both bounds (${MAX_EVENTS - 100} small events) is recovered: every event once, in order`, async () => {
  const entityType = `Ok${crypto.randomUUID().slice(0, 6)}`;
  const { s, witness } = await member("fits", entityType);
  const seen: number[] = [];
  s.on("data-change", (d: { data: { n: number } }) => void seen.push(d.data.n));
  await drop(s);
  const n = MAX_EVENTS - 100;
  await flood(witness, entityType, n);
  const back = waitFor(s, "connect", { timeoutMs: 10_000 });
  s.connect();
  await back;
  expect(s.recovered).toBe(true);
  const until = Date.now() + 10_000;
  while (seen.length < n && Date.now() < until) await Bun.sleep(10);
  expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
  s.close();
  witness.close();
}, 30_000);

test(`a herd of 12 reconnects: at most RECOVERY_MAX_CONCURRENT (${CONCURRENT}) replays at once, the others wait their turn and every one recovers`, async () => {
  const entityType = `Herd${crypto.randomUUID().slice(0, 6)}`;
  const members = await Promise.all(Array.from({ length: 12 }, (_, i) => member(`herd-${i}`, entityType)));
  const counts = members.map(() => 0);
  members.forEach((m, i) => void m.s.on("data-change", (d: { data: { n: number } }) => void (d.data.n >= 0 && counts[i]!++)));
  await Promise.all(members.map((m) => drop(m.s)));
  await flood(members[0]!.witness, entityType, 500);
  // Every change of the gauge of replays holding a slot, seen as it happens.
  const gauge = metrics.getSingleMetric("rt_gateway_recovery_replays") as Gauge;
  let live = 0;
  let peak = 0;
  const [inc, dec] = [gauge.inc.bind(gauge), gauge.dec.bind(gauge)];
  gauge.inc = ((v?: number) => ((peak = Math.max(peak, ++live)), inc(v))) as typeof inc;
  gauge.dec = ((v?: number) => (live--, dec(v))) as typeof dec;
  await Promise.all(
    members.map((m) => {
      const back = waitFor(m.s, "connect", { timeoutMs: 15_000 });
      m.s.connect();
      return back;
    }),
  );
  const until = Date.now() + 15_000;
  while (counts.some((c) => c < 500) && Date.now() < until) await Bun.sleep(10);
  [gauge.inc, gauge.dec] = [inc, dec];
  console.log(`replay herd (${p.mode}): 12 reconnects × 500 missed, peak concurrent replays ${peak}`);
  expect(members.map((m) => m.s.recovered)).toEqual(members.map(() => true));
  expect(counts).toEqual(members.map(() => 500));
  expect(peak).toBeGreaterThanOrEqual(1);
  expect(peak).toBeLessThanOrEqual(CONCURRENT);
  for (const m of members) {
    m.s.close();
    m.witness.close();
  }
}, 60_000);
