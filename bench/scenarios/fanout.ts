/**
 * Scenario 2: room fan-out. N clients in one room (the tenant room every socket joins on connect);
 * the server broadcasts (POST /api/publish, target tenant) as fast as the clients take it, with a
 * bounded window of broadcasts not yet received by every client. Deliveries/s = frames received.
 */
import { cfg } from "../lib/config.ts";
import { put, sidesFrom, type Ctx } from "../lib/context.ts";
import { cpuMeter, machineMeter, sleep } from "../lib/proc.ts";
import { API_KEY, SECRET, startSide, type Side, type SideKind } from "../lib/servers.ts";
import { closeWorkers, spawnWorkers, split, type Worker } from "../lib/workers.ts";
import { newTenant } from "../lib/chat.ts";

const EVENT = "bench:tick";
const PAD = "x".repeat(48);

export async function measure(side: Side, workers: Worker[], ctx: Pick<Ctx, "log">) {
  const c = cfg.fanout;
  const tenant = newTenant("fanout");
  const clients = Array.from({ length: c.clients }, (_, i) => ({ sub: `u${i}`, tenant }));
  const conn = await Promise.all(
    split(clients, workers.length).map((part, i) => workers[i]!.call("connect", { url: side.url, clients: part, secret: SECRET, concurrency: 50, timeoutMs: 60_000 })),
  );
  const connected = conn.reduce((a, r) => a + r.ok, 0);
  const minSeq = workers.map(() => 0);
  const received = workers.map(() => 0);
  let wake: (() => void) | undefined;
  for (const w of workers)
    w.onProgress = (m) => {
      minSeq[w.index] = m.minSeq;
      received[w.index] = m.received;
      wake?.();
    };
  await Promise.all(workers.map((w) => w.call("fanout", { event: EVENT, lean: process.env.BENCH_FANOUT_FULL_CLIENT !== "1" })));
  const post = (seq: number) =>
    fetch(`${side.url}/api/publish`, {
      method: "POST",
      headers: { "x-api-key": API_KEY, "content-type": "application/json" },
      body: JSON.stringify({ tenantId: tenant, target: { kind: "tenant" }, event: EVENT, data: { seq, pad: PAD } }),
    }).then((r) => {
      if (r.status !== 202) throw new Error(`publish: ${r.status}`);
    });
  let seq = 0;
  let inflight = 0;
  let errors = 0;
  const start = performance.now();
  const end = start + c.warmupMs + c.durationMs;
  let mark: { t: number; rx: number; seq: number } | undefined;
  let meter: (() => Record<string, number>) | undefined;
  let machine: ReturnType<typeof machineMeter> | undefined;
  const totalRx = () => received.reduce((a, b) => a + b, 0);
  while (performance.now() < end) {
    if (!mark && performance.now() - start >= c.warmupMs) {
      mark = { t: performance.now(), rx: totalRx(), seq };
      meter = cpuMeter({ server: () => [side.pid], generator: () => workers.map((w) => w.proc.pid), driver: () => [process.pid] });
      machine = machineMeter();
    }
    const done = Math.min(...minSeq);
    if (seq - done < c.window && inflight < 8) {
      inflight++;
      post(++seq).then(
        () => inflight--,
        () => (inflight--, errors++),
      );
      continue;
    }
    await Promise.race([new Promise<void>((r) => (wake = r)), sleep(2)]);
  }
  const t1 = performance.now();
  const rx1 = totalRx();
  const cpu: Record<string, number> = { ...(meter?.() ?? {}), ...(machine?.() ?? {}) };
  // let in-flight broadcasts land before the sockets go (bounded)
  for (let i = 0; i < 100 && Math.min(...minSeq) < seq; i++) await sleep(20);
  await Promise.all(workers.map((w) => w.call("fanout-stop")));
  const rate = mark ? ((rx1 - mark.rx) / (t1 - mark.t)) * 1000 : NaN;
  const broadcasts = mark ? ((seq - mark.seq) / (t1 - mark.t)) * 1000 : NaN;
  ctx.log(
    `  ${side.kind}: ${connected} clients, ${Math.round(rate)} deliveries/s (${Math.round(broadcasts)} broadcasts/s), cpu server ${cpu.server?.toFixed(0)}% generator ${cpu.generator?.toFixed(0)}% driver ${cpu.driver?.toFixed(0)}% machine ${cpu.busy?.toFixed(0)}% (softirq ${cpu.softirq?.toFixed(0)}%), publish errors ${errors}, final lag ${seq - Math.min(...minSeq)}`,
  );
  return { connected, rate, broadcasts, cpu, errors };
}

export async function fanout(ctx: Ctx) {
  const c = cfg.fanout;
  ctx.log(`fanout: ${c.clients} clients in one room, ${c.durationMs} ms`);
  const sides = sidesFrom("BENCH_FANOUT_SIDES", ["baseline-node", "baseline-bun", "platform-embedded"]);
  const out: Partial<Record<SideKind, number>> = {};
  const raw: Record<string, unknown> = {};
  for (const kind of sides) {
    const side = await startSide(kind);
    const workers = await spawnWorkers(c.workers);
    try {
      const r = await measure(side, workers, ctx);
      out[kind] = r.rate;
      raw[kind] = r;
    } finally {
      await closeWorkers(workers);
      await side.stop();
    }
  }
  // The same platform with the gateway's topic fan-out switched off: the bun-engine path as shipped.
  let before: number | undefined;
  if (c.before && sides.includes("platform-embedded")) {
    const side = await startSide("platform-embedded", { GATEWAY_TOPIC_FANOUT: "0" });
    const workers = await spawnWorkers(c.workers);
    try {
      ctx.log("  (next: platform with GATEWAY_TOPIC_FANOUT=0)");
      const r = await measure(side, workers, ctx);
      before = r.rate;
      raw["platform-embedded, GATEWAY_TOPIC_FANOUT=0"] = r;
    } finally {
      await closeWorkers(workers);
      await side.stop();
    }
  }
  ctx.raw.fanout = raw;
  const ratio = out["platform-embedded"]! / out["baseline-node"]!;
  ctx.rows.push({
    scenario: "2 fan-out",
    metric: `deliveries/s, ${c.clients} clients in one room`,
    ...put(out),
    digits: 0,
    ratio,
    target: "≥ 4.0×",
    status: ratio >= 4 ? "met" : "missed",
  });
  if (before !== undefined)
    ctx.rows.push({
      scenario: "2 fan-out",
      metric: "same, gateway topic fan-out off (bun-engine as shipped)",
      platformEmbedded: before,
      digits: 0,
      ratio: before / out["baseline-node"]!,
    });
}
