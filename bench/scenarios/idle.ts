/**
 * Scenario 1: idle authenticated WebSocket clients held by one server; RSS per connection after a
 * forced GC (every side alike) and connect rate. Sides alternate for BENCH_IDLE_ROUNDS rounds; medians.
 */
import { cfg } from "../lib/config.ts";
import { inRoundOrder, put, sidesFrom, type Ctx } from "../lib/context.ts";
import { cpuMeter, hardFdLimit, rssKb, sleep } from "../lib/proc.ts";
import { forceGc, SECRET, startSide, type SideKind } from "../lib/servers.ts";
import { closeWorkers, spawnWorkers, split } from "../lib/workers.ts";
import { newTenant } from "../lib/chat.ts";
import { median } from "../lib/stats.ts";

interface Round {
  ok: number;
  perConnKb: number;
  rate: number;
  /** Generator CPU while connecting, % of one core (all workers): a saturated generator shows here. */
  genCpu: number;
  serverCpu: number;
}

export async function idle(ctx: Ctx) {
  const c = cfg.idle;
  const limit = hardFdLimit();
  ctx.log(`idle: ${c.clients} clients in tenants of ${c.tenantSize}, ${c.workers} workers, ${c.rounds} round(s), fd limit in children ${limit}`);
  const sides = sidesFrom("BENCH_IDLE_SIDES", ["platform-embedded", "platform-gateway", "baseline-node", "baseline-bun"]);
  const rounds: Partial<Record<SideKind, Round[]>> = {};
  const raw: Record<string, unknown[]> = {};
  /** One side held `c.clients` clients: RSS per connection after GC, connect rate, CPU. */
  async function measure(kind: SideKind, label: string, env: Record<string, string> = {}): Promise<Round> {
    const side = await startSide(kind, env);
    const workers = await spawnWorkers(c.workers);
    try {
      await sleep(1000);
      await forceGc(side);
      const rss0 = rssKb(side.pid);
      // Tenants of c.tenantSize users: the platform announces every connect to the whole tenant
      // (presence user:online), so one tenant of 20,000 would measure that storm, not idle sockets.
      const tenant = newTenant("idle");
      const clients = Array.from({ length: c.clients }, (_, i) => ({ sub: `u${i}`, tenant: `${tenant}-${Math.floor(i / c.tenantSize)}` }));
      const meter = cpuMeter({ server: () => [side.pid], generator: () => workers.map((w) => w.proc.pid) });
      const res = await Promise.all(
        split(clients, workers.length).map((part, i) =>
          workers[i]!.call("connect", { url: side.url, clients: part, secret: SECRET, concurrency: c.concurrency, timeoutMs: 150_000, connectTimeoutMs: 10_000 }, 180_000),
        ),
      );
      const cpu = meter();
      const ok = res.reduce((a, r) => a + r.ok, 0);
      // until the last successful connect (refused ones wait for their timeout)
      const ms = Math.max(...res.map((r) => r.lastOkMs as number));
      await sleep(c.settleMs);
      await forceGc(side);
      const rss1 = rssKb(side.pid);
      const r: Round = { ok, perConnKb: ok ? (rss1 - rss0) / ok : NaN, rate: (ok / ms) * 1000, genCpu: cpu.generator!, serverCpu: cpu.server! };
      (raw[label] ??= []).push({ ...r, failed: res.reduce((a, x) => a + x.failed, 0), errors: res.flatMap((x) => x.errors).slice(0, 5), ms, rss0Kb: rss0, rss1Kb: rss1 });
      ctx.log(
        `  ${label}: held ${ok}/${c.clients} in ${(ms / 1000).toFixed(1)} s (${r.rate.toFixed(0)}/s), RSS after GC ${(rss0 / 1024).toFixed(0)} -> ${(rss1 / 1024).toFixed(0)} MB, ${r.perConnKb.toFixed(1)} KB/conn; CPU server ${r.serverCpu.toFixed(0)} %, generator ${r.genCpu.toFixed(0)} %`,
      );
      return r;
    } finally {
      await closeWorkers(workers);
      await side.stop();
    }
  }
  for (let round = 0; round < c.rounds; round++) {
    for (const kind of inRoundOrder(sides, round)) (rounds[kind] ??= []).push(await measure(kind, kind));
  }
  // The baseline sends nothing when a client connects; the platform tells the tenant (user:online
  // to every socket of it) and the socket its unread count. The same platform without tenant-wide
  // presence shows what the rest of a connect costs.
  const quietLabel = "platform-embedded, PRESENCE_TENANT_EVENTS=false";
  const quiet = sides.includes("platform-embedded") ? await measure("platform-embedded", quietLabel, { PRESENCE_TENANT_EVENTS: "false" }) : undefined;
  ctx.raw.idle = raw;
  const med = (f: (r: Round) => number) => Object.fromEntries(Object.entries(rounds).map(([k, rs]) => [k, median(rs!.map(f))])) as Partial<Record<SideKind, number>>;
  // The NATS column of the idle rows is the gateway alone (start:gateway), as issue 14 asks.
  const cols = (m: Partial<Record<SideKind, number>>) => put({ ...m, "platform-real": m["platform-gateway"] });
  const held = med((r) => r.ok);
  const perConn = med((r) => r.perConnKb);
  const rate = med((r) => r.rate);
  const pe = "platform-embedded" as const;
  const pg = "platform-gateway" as const;
  const node = "baseline-node" as const;
  ctx.rows.push(
    {
      scenario: "1 idle",
      metric: `connections held (of ${c.clients})`,
      ...cols(held),
      digits: 0,
      ratio: held[pe]! / held[node]!,
      // The clients are as many as the file-descriptor limit: the process's own files (listeners,
      // NATS, Postgres, logs) take a few of them, hence issue 14's "≥ 19,900 of 20,000".
      target: `≥ ${c.clients - 100}`,
      status: held[pe]! >= c.clients - 100 && (held[pg] === undefined || held[pg]! >= c.clients - 100) ? "met" : "missed",
    },
    {
      scenario: "1 idle",
      metric: "RSS per connection after GC, KB (NATS column: gateway alone)",
      ...cols(perConn),
      digits: 1,
      ratio: perConn[pe]! / perConn[node]!,
      target: "≤ 15 KB embedded, ≤ 10 KB gateway",
      status: perConn[pe]! <= 15 && (perConn[pg] === undefined || perConn[pg]! <= 10) ? "met" : "missed",
    },
    {
      scenario: "1 idle",
      metric: "connect rate, conn/s",
      ...cols(rate),
      digits: 0,
      ratio: rate[pe]! / rate[node]!,
      target: "≥ 1.0× baseline",
      status: rate[pe]! >= rate[node]! && (rate[pg] === undefined || rate[pg]! >= rate[node]!) ? "met" : "missed",
    },
    { scenario: "1 idle", metric: "generator CPU while connecting, % of a core", ...cols(med((r) => r.genCpu)), digits: 0 },
  );
  if (quiet)
    ctx.rows.push({
      scenario: "1 idle",
      metric: "connect rate without tenant-wide presence (PRESENCE_TENANT_EVENTS=false; the baseline sends none), conn/s",
      platformEmbedded: quiet.rate,
      digits: 0,
      ratio: quiet.rate / rate[node]!,
    });
}
