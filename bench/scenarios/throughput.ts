/** Scenario 4: the highest message:send rate sustained with p99 (emit → last member) ≤ 50 ms and nothing lost. */
import { cfg } from "../lib/config.ts";
import { inRoundOrder, put, sidesFrom, type Ctx } from "../lib/context.ts";
import { missingNote, missingOf, runChat, stallNote, setupChat } from "../lib/chat.ts";
import { startSide, type SideKind } from "../lib/servers.ts";
import { closeWorkers, spawnWorkers } from "../lib/workers.ts";
import { median } from "../lib/stats.ts";

export async function throughput(ctx: Ctx) {
  const c = cfg.throughput;
  ctx.log(`throughput: ${c.sockets} sockets in rooms of ${c.roomSize}, steps ${c.rates.join(", ")}/s, ${c.stepMs} ms each`);
  const sides = sidesFrom("BENCH_TP_SIDES", ["platform-real", "platform-embedded", "baseline-node"]);
  const bests: Partial<Record<SideKind, number[]>> = {};
  const firstFail: Partial<Record<SideKind, string>> = {};
  const raw: Record<string, unknown[]> = {};
  for (let round = 0; round < c.rounds; round++) {
    for (const kind of inRoundOrder(sides, round)) {
      const side = await startSide(kind);
      const workers = await spawnWorkers(c.workers);
      (raw[kind] ??= []).push({ round: round + 1 });
      let best = 0;
      try {
        const setup = await setupChat(side, workers, c.sockets, c.roomSize, "tp");
        for (const rate of c.rates) {
          const r = await runChat(setup, workers, { rate, durationMs: c.stepMs, warmupMs: c.warmupMs, drainMs: c.drainMs });
          const lost = missingOf(r);
          const reached = r.achievedRate >= rate * 0.95;
          const ok = r.p99 <= c.p99Ms && lost === 0 && reached;
          raw[kind]!.push({ rate, p50: r.p50, p99: r.p99, lost, achieved: r.achievedRate, cpu: r.cpu, ackErrors: r.ackErrors });
          ctx.log(
            `  ${kind}${c.rounds > 1 ? ` (round ${round + 1})` : ""} @ ${rate}/s: p50 ${r.p50.toFixed(1)} p99 ${r.p99.toFixed(1)} ms, ${missingNote(r)}, sent ${r.achievedRate.toFixed(0)}/s, cpu ${JSON.stringify(Object.fromEntries(Object.entries(r.cpu).map(([k, v]) => [k, Math.round(v)])))}${stallNote(r)} ${ok ? "ok" : "FAIL"}`,
          );
          if (!ok) {
            firstFail[kind] = `${firstFail[kind] ? `${firstFail[kind]}; ` : ""}${rate}/s: p99 ${r.p99.toFixed(0)} ms${lost ? `, ${lost} missing` : ""}`;
            break;
          }
          best = rate;
        }
      } finally {
        await closeWorkers(workers);
        await side.stop();
      }
      (bests[kind] ??= []).push(best);
    }
  }
  const best: Partial<Record<SideKind, number>> = Object.fromEntries(Object.entries(bests).map(([k, v]) => [k, median(v!)]));
  ctx.raw.throughput = raw;
  const p = best["platform-real"] ?? best["platform-embedded"]!;
  ctx.rows.push(
    {
      scenario: "4 throughput",
      metric: `max message:send/s with p99 ≤ ${c.p99Ms} ms (rooms of ${c.roomSize})`,
      ...put(best),
      digits: 0,
      ratio: p / best["baseline-node"]!,
      ratioOf: best["platform-real"] !== undefined ? "NATS+PG" : "embedded",
      target: "≥ 1.0× baseline",
      status: best["baseline-node"] === undefined ? undefined : p >= best["baseline-node"] ? "met" : "missed",
    },
    { scenario: "4 throughput", metric: "best step per round", ...put(Object.fromEntries(Object.entries(bests).map(([k, v]) => [k, v!.join(" / ")]))) },
    { scenario: "4 throughput", metric: "first step that failed, per round", ...put(firstFail) },
  );
}
