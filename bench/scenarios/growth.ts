/** Scenario 6: scenario 3 at growing socket counts (same 0.5 message:send/s per socket, rooms of 20): p99 and CPU. */
import { cfg } from "../lib/config.ts";
import { sidesFrom, type Ctx } from "../lib/context.ts";
import { missingNote, missingOf, runChat, setupChat } from "../lib/chat.ts";
import { startSide } from "../lib/servers.ts";
import { closeWorkers, spawnWorkers } from "../lib/workers.ts";

export async function growth(ctx: Ctx) {
  const c = cfg.growth;
  ctx.log(`growth: sockets ${c.sizes.join(", ")}, ${c.perSocketRate} msg/s per socket, ${c.durationMs} ms each`);
  const sides = sidesFrom("BENCH_GROWTH_SIDES", ["platform-real", "baseline-node"]);
  ctx.growth = [];
  const raw: Record<string, unknown[]> = {};
  for (const kind of sides) {
    raw[kind] = [];
    // one server per side; each size gets a fresh tenant and fresh sockets (the previous ones closed)
    const side = await startSide(kind);
    try {
      for (const n of c.sizes) {
        const workers = await spawnWorkers(c.workers);
        try {
          const setup = await setupChat(side, workers, n, c.roomSize, `g${n}`);
          const rate = n * c.perSocketRate;
          const r = await runChat(setup, workers, { rate, durationMs: c.durationMs, warmupMs: c.warmupMs, drainMs: c.drainMs });
          const lost = missingOf(r);
          const cpuTotal = Object.values(r.cpu).reduce((a, b) => a + b, 0);
          ctx.growth.push({ side: kind, sockets: setup.connected, p50: r.p50, p99: r.p99, cpu: r.cpu.server!, cpuTotal });
          raw[kind]!.push({ sockets: setup.connected, rate, p50: r.p50, p99: r.p99, lost, cpu: r.cpu });
          ctx.log(
            `  ${kind} ${setup.connected} sockets @ ${rate}/s: p50 ${r.p50.toFixed(1)} p99 ${r.p99.toFixed(1)} ms, ${missingNote(r)}, cpu ${JSON.stringify(Object.fromEntries(Object.entries(r.cpu).map(([k, v]) => [k, Math.round(v)])))}`,
          );
        } finally {
          await closeWorkers(workers);
        }
      }
    } finally {
      await side.stop();
    }
  }
  ctx.raw.growth = raw;
  const at = (kind: string, n: number) => ctx.growth!.find((g) => g.side === kind && g.sockets >= n * 0.98 && g.sockets <= n);
  for (const n of c.sizes) {
    const p = at("platform-real", n) ?? at("platform-embedded", n);
    const b = at("baseline-node", n);
    ctx.rows.push(
      {
        scenario: "6 growth",
        metric: `${n} sockets @ ${n * c.perSocketRate}/s: p99 ms`,
        platformReal: at("platform-real", n)?.p99,
        platformEmbedded: at("platform-embedded", n)?.p99,
        baselineNode: b?.p99,
        digits: 1,
        ratio: p && b ? p.p99 / b.p99 : undefined,
      },
      {
        scenario: "6 growth",
        metric: `${n} sockets: server CPU %`,
        platformReal: at("platform-real", n)?.cpu,
        platformEmbedded: at("platform-embedded", n)?.cpu,
        baselineNode: b?.cpu,
        digits: 0,
        ratio: p && b ? p.cpu / b.cpu : undefined,
      },
    );
  }
}
