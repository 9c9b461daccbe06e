/**
 * Scenario 1's connect rate, side by side, without the full bench: N clients connect to each side,
 * sides alternating for `BENCH_STEPS_ROUNDS` rounds, medians at the end (with server CPU per connect).
 *   bun bench/tools/connect-steps.ts [sides=platform-embedded] [clients=8000]
 * `sides` as in chat-steps.ts: `platform-embedded:BENCH_TREE=/work/base,platform-embedded` runs an
 * older checkout beside this one.
 */
import { cfg } from "../lib/config.ts";
import { newTenant } from "../lib/chat.ts";
import { inRoundOrder, parseSides } from "../lib/context.ts";
import { cpuSeconds } from "../lib/proc.ts";
import { SECRET, startSide } from "../lib/servers.ts";
import { median } from "../lib/stats.ts";
import { closeWorkers, spawnWorkers, split } from "../lib/workers.ts";

const [sidesArg = "platform-embedded", clientsArg = "8000"] = process.argv.slice(2);
const n = Number(clientsArg);
const rounds = Number(process.env.BENCH_STEPS_ROUNDS ?? 1);
const sides = parseSides(sidesArg);
const results = new Map<string, { rate: number; cpuMsPerConnect: number }[]>();
for (let round = 0; round < rounds; round++) {
  for (const s of inRoundOrder(sides, round)) {
    const side = await startSide(s.kind, s.env);
    const workers = await spawnWorkers(cfg.idle.workers);
    try {
      const tenant = newTenant("steps");
      const clients = Array.from({ length: n }, (_, i) => ({ sub: `u${i}`, tenant: `${tenant}-${Math.floor(i / cfg.idle.tenantSize)}` }));
      const cpu0 = cpuSeconds(side.pid);
      const t0 = performance.now();
      const res = await Promise.all(
        split(clients, workers.length).map((part, i) =>
          workers[i]!.call("connect", { url: side.url, clients: part, secret: SECRET, concurrency: cfg.idle.concurrency, timeoutMs: 120_000 }),
        ),
      );
      const ms = performance.now() - t0;
      const ok = res.reduce((a, r) => a + r.ok, 0);
      const r = { rate: (ok / ms) * 1000, cpuMsPerConnect: ((cpuSeconds(side.pid) - cpu0) * 1000) / ok };
      results.set(s.spec, [...(results.get(s.spec) ?? []), r]);
      console.log(`${s.spec}: ${ok}/${n} connected, ${r.rate.toFixed(0)}/s, server CPU ${r.cpuMsPerConnect.toFixed(2)} ms per connect`);
    } finally {
      await closeWorkers(workers);
      await side.stop(60_000);
    }
  }
}
console.log(`\nmedians of ${rounds} round(s):`);
for (const [spec, rs] of results) console.log(`${spec}: ${median(rs.map((r) => r.rate)).toFixed(0)}/s, ${median(rs.map((r) => r.cpuMsPerConnect)).toFixed(2)} ms CPU per connect`);
