import { afterAll, beforeAll, expect, test } from "bun:test";
import { io as ioClient } from "socket.io-client";
import { deliverRaw } from "@rt/service-kit";
import { startWithSecondGateway, waitFor, type ClientSocket, type TestPlatform } from "@rt/testkit";
import type { RunningGateway } from "../gateway.ts";

/**
 * Issue 12 item 2: recovery under traffic loses nothing and doubles nothing. A client in a sync
 * room has its transport closed again and again while a publisher streams `data-change` events to
 * that room; every reconnect must be recovered and every event arrive exactly once. Runs on the
 * mode's bus (embedded: in-process; nats: NATS JetStream) with one gateway, then alternating
 * between two gateways on that bus.
 */
const RECOVERIES = Number(process.env.RECOVERY_TRAFFIC_RECOVERIES ?? 50);
const RATE = Number(process.env.RECOVERY_TRAFFIC_RATE ?? 2000);

let p: TestPlatform;
let second: RunningGateway;
let stop: () => Promise<void>;
beforeAll(async () => {
  ({ p, second, stop } = await startWithSecondGateway());
}, 60_000);
afterAll(() => stop());

/** Publish `RATE` data-change events per second to one sync room until stopped; `sent()` is how many. */
function stream(entityType: string) {
  let n = 0;
  const started = performance.now();
  const timer = setInterval(() => {
    // Keep up with the wall clock, so a busy machine still gets the rate on average.
    const due = Math.floor(((performance.now() - started) / 1000) * RATE);
    while (n < due) {
      deliverRaw(p.platform.bus, {
        tenantId: p.tenant,
        target: { kind: "sync", id: entityType },
        event: "data-change",
        data: { entityType, action: "UPDATE", data: { n }, seq: n },
      });
      n++;
    }
  }, 10);
  return {
    sent: () => n,
    stop: () => clearInterval(timer),
    seconds: () => (performance.now() - started) / 1000,
  };
}

/**
 * `longAbsences` of the recoveries stay away 5 s: at 2,000/s more than a gateway keeps of its recent
 * deliveries (RECENT_DELIVERIES, up to twice that), so those replay from the delivery log first.
 */
async function forcedRecoveries(urls: string[], longAbsences = 0) {
  const entityType = `Load${crypto.randomUUID().slice(0, 6)}`;
  const token = await p.token({ sub: `loader-${entityType}` });
  const s: ClientSocket = ioClient(urls[0]!, { auth: { token }, transports: ["websocket"], forceNew: true, reconnectionDelay: 100, reconnectionDelayMax: 150 });
  await waitFor(s, "connect");
  expect(await s.timeout(5000).emitWithAck("join-data-sync", [entityType])).toMatchObject({ ok: true });
  const counts = new Map<number, number>();
  let last = -1;
  let outOfOrder = 0;
  s.on("data-change", (d: { data: { n: number } }) => {
    counts.set(d.data.n, (counts.get(d.data.n) ?? 0) + 1);
    if (d.data.n < last) outOfOrder++;
    last = d.data.n;
  });
  let turn = 0;
  s.io.on("reconnect_attempt", () => {
    (s.io as unknown as { uri: string }).uri = urls[++turn % urls.length]!;
  });
  const pub = stream(entityType);
  const recovered: boolean[] = [];
  await Bun.sleep(200);
  const long = new Set(Array.from({ length: longAbsences }, (_, k) => Math.floor(((k + 1) * RECOVERIES) / (longAbsences + 1))));
  for (let i = 0; i < RECOVERIES; i++) {
    const back = waitFor(s, "connect", { timeoutMs: 15_000 });
    const delay = long.has(i) ? 5000 : 100;
    s.io.reconnectionDelay(delay).reconnectionDelayMax(delay + 50);
    s.io.engine.close();
    await back;
    recovered.push(s.recovered);
    // The next drop once this replay has reached what was published when the client came back (it
    // hands over to live there). Dropping mid-replay is another case: the next gap then adds up the
    // unsent rest of this one and can pass RECOVERY_MAX_EVENTS (a fresh session, by design); on a
    // loaded box it did after a 5 s absence, when the wait was for what was published at the drop.
    const gap = pub.sent();
    const until = Date.now() + 30_000;
    while (last < gap - 1 && Date.now() < until) await Bun.sleep(5);
    await Bun.sleep(30 + Math.random() * 70);
  }
  pub.stop();
  const sent = pub.sent();
  const rate = Math.round(sent / pub.seconds());
  // Everything published has reached the client (or never will): wait for the tail to settle.
  const deadline = Date.now() + 15_000;
  while (counts.size < sent && Date.now() < deadline) await Bun.sleep(100);
  s.close();
  const missing = [];
  for (let n = 0; n < sent; n++) if (!counts.has(n)) missing.push(n);
  const doubled = [...counts].filter(([, c]) => c > 1).map(([n]) => n);
  console.log(
    `recovery under traffic (${p.mode}, ${urls.length} gateway(s)): ${RECOVERIES} recoveries, ${sent} events at ${rate}/s, recovered ${recovered.filter(Boolean).length}, missing ${missing.length}, doubled ${doubled.length}, out of order ${outOfOrder}`,
  );
  return { recovered, rate, outOfOrder, missing: missing.slice(0, 20), doubled: doubled.slice(0, 20) };
}

/** Every reconnect recovered, every event once and in order, at the rate asked for. */
function expectExactlyOnce(r: Awaited<ReturnType<typeof forcedRecoveries>>) {
  expect(r.recovered.every((x) => x)).toBe(true);
  expect(r.missing).toEqual([]);
  expect(r.doubled).toEqual([]);
  expect(r.outOfOrder).toBe(0);
  expect(r.rate).toBeGreaterThanOrEqual(RATE * 0.9);
}

test(`${RECOVERIES} forced recoveries on one gateway at ${RATE} data-change/s: every one recovered, 0 missing, 0 doubled, in order`, async () => {
  expectExactlyOnce(await forcedRecoveries([p.url]));
}, 120_000);

test(`${RECOVERIES} forced recoveries alternating between two gateways at ${RATE} data-change/s, 2 of them 5 s away (replayed from the log): every one recovered, 0 missing, 0 doubled, in order`, async () => {
  expectExactlyOnce(await forcedRecoveries([p.url, second.url], 2));
}, 120_000);
