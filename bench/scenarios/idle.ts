/** Scenario 1: idle authenticated WebSocket clients held by one server; RSS per connection and connect rate. */
import { cfg } from "../lib/config.ts";
import { put, sidesFrom, type Ctx } from "../lib/context.ts";
import { hardFdLimit, rssKb, sleep } from "../lib/proc.ts";
import { SECRET, startSide, type SideKind } from "../lib/servers.ts";
import { closeWorkers, spawnWorkers, split } from "../lib/workers.ts";
import { newTenant } from "../lib/chat.ts";

export async function idle(ctx: Ctx) {
  const c = cfg.idle;
  const limit = hardFdLimit();
  ctx.log(`idle: ${c.clients} clients in tenants of ${c.tenantSize}, ${c.workers} workers, fd limit in children ${limit}`);
  const sides = sidesFrom("BENCH_IDLE_SIDES", ["platform-embedded", "baseline-node", "baseline-bun"]);
  const held: Partial<Record<SideKind, number>> = {};
  const perConn: Partial<Record<SideKind, number>> = {};
  const rate: Partial<Record<SideKind, number>> = {};
  const raw: Record<string, unknown> = {};
  for (const kind of sides) {
    const side = await startSide(kind);
    const workers = await spawnWorkers(c.workers);
    try {
      await sleep(1000);
      const rss0 = rssKb(side.pid);
      // Tenants of c.tenantSize users: the platform announces every connect to the whole tenant
      // (presence user:online), so one tenant of 20,000 would measure that storm, not idle sockets.
      const tenant = newTenant("idle");
      const clients = Array.from({ length: c.clients }, (_, i) => ({ sub: `u${i}`, tenant: `${tenant}-${Math.floor(i / c.tenantSize)}` }));
      const res = await Promise.all(
        split(clients, workers.length).map((part, i) =>
          workers[i]!.call("connect", { url: side.url, clients: part, secret: SECRET, concurrency: c.concurrency, timeoutMs: 150_000, connectTimeoutMs: 10_000 }, 180_000),
        ),
      );
      const ok = res.reduce((a, r) => a + r.ok, 0);
      // until the last successful connect (refused ones wait for their timeout)
      const ms = Math.max(...res.map((r) => r.lastOkMs as number));
      await sleep(c.settleMs);
      const rss1 = rssKb(side.pid);
      held[kind] = ok;
      perConn[kind] = ok ? (rss1 - rss0) / ok : NaN;
      rate[kind] = (ok / ms) * 1000;
      raw[kind] = { ok, failed: res.reduce((a, r) => a + r.failed, 0), errors: res.flatMap((r) => r.errors).slice(0, 5), ms, rss0Kb: rss0, rss1Kb: rss1 };
      ctx.log(
        `  ${kind}: held ${ok}/${c.clients} in ${(ms / 1000).toFixed(1)} s, RSS ${(rss0 / 1024).toFixed(0)} -> ${(rss1 / 1024).toFixed(0)} MB, ${perConn[kind]!.toFixed(1)} KB/conn`,
      );
    } finally {
      await closeWorkers(workers);
      await side.stop();
    }
  }
  ctx.raw.idle = raw;
  const pe = "platform-embedded" as const;
  ctx.rows.push(
    {
      scenario: "1 idle",
      metric: `connections held (of ${c.clients})`,
      ...put(held),
      digits: 0,
      ratio: held[pe]! / held["baseline-node"]!,
      target: `all ${c.clients}`,
      status: held[pe] === c.clients ? "met" : "missed",
    },
    {
      scenario: "1 idle",
      metric: "RSS per connection, KB",
      ...put(perConn),
      digits: 1,
      ratio: perConn[pe]! / perConn["baseline-node"]!,
      target: "≤ 15 KB",
      status: perConn[pe]! <= 15 ? "met" : "missed",
    },
    { scenario: "1 idle", metric: "connect rate, conn/s", ...put(rate), digits: 0, ratio: rate[pe]! / rate["baseline-node"]! },
  );
}
