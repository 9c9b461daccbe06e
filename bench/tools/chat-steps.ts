/**
 * A quick look at scenarios 3/4 without the full bench: chat load at a few rates, with the
 * generator's CPU and the whole machine's beside the server's (the box is shared).
 *   bun bench/tools/chat-steps.ts [sides=platform-real] [rates=500,1000] [sockets=1000] [roomSize=20] [ms=5000]
 * `sides` is a comma list; a side may carry env for its server after a colon, `;`-separated:
 * `platform-real:SERVICE_QUEUE_BUDGET_MS=0,platform-real` compares one setting side by side.
 * BENCH_STEPS_ROUNDS=n runs every side n times, alternating, and prints medians at the end.
 * BENCH_STEPS_SLOW=1 prints when in each step the sends slower than 50 ms were (stalls show as dense windows).
 */
import { cfg } from "../lib/config.ts";
import { runChat, setupChat, type ChatResult } from "../lib/chat.ts";
import { inRoundOrder, parseSides } from "../lib/context.ts";
import { machineMeter } from "../lib/proc.ts";
import { startSide } from "../lib/servers.ts";
import { median } from "../lib/stats.ts";
import { closeWorkers, spawnWorkers } from "../lib/workers.ts";

const [sidesArg = "platform-real", rates = "500,1000", sockets = "1000", roomSize = "20", ms = "5000"] = process.argv.slice(2);
const rounds = Number(process.env.BENCH_STEPS_ROUNDS ?? 1);
const showSlow = process.env.BENCH_STEPS_SLOW === "1";
const sides = parseSides(sidesArg);
type Run = ChatResult & { cpuAll: Record<string, number> };
const runs = new Map<string, Run[]>();

for (let round = 0; round < rounds; round++) {
  for (const side of inRoundOrder(sides, round)) {
    const server = await startSide(side.kind, side.env);
    const workers = await spawnWorkers(cfg.chat.workers);
    try {
      const setup = await setupChat(server, workers, Number(sockets), Number(roomSize), "steps");
      console.log(`${side.spec}: ${setup.connected} connected, ${setup.connectFailed} connect failures, ${setup.joinFailed} join failures, ${setup.rooms.length} rooms`);
      for (const rate of rates.split(",").map(Number)) {
        // Wall clock, to line the windows below (ms since the load began, warm-up included) up with other logs.
        if (showSlow) console.log(`  step starts ${new Date().toISOString().slice(11, 23)}`);
        const machine = machineMeter();
        const r = await runChat(setup, workers, { rate, durationMs: Number(ms), warmupMs: 1000, drainMs: 3000 });
        const cpuAll = Object.fromEntries(Object.entries({ ...r.cpu, machine: machine().busy }).map(([k, v]) => [k, Math.round(v)]));
        const key = `${side.spec} @ ${rate}/s`;
        runs.set(key, [...(runs.get(key) ?? []), { ...r, cpuAll }]);
        console.log(`${key}: ${describe(r, cpuAll)}`);
        // Where in the step the slow ones were: stalls show as a few dense 250 ms windows.
        if (showSlow) console.log(`  slow (> 50 ms; each worker keeps its first 300) per 250 ms window [start ms, count, max ms]: ${JSON.stringify(slowWindows(r.slow))}`);
      }
    } finally {
      await closeWorkers(workers);
      await server.stop(60_000);
    }
  }
}

/** The slow sends ([ms since the load began, latency]) counted per 250 ms window, with each window's worst. */
function slowWindows(slow: [number, number][]): [number, number, number][] {
  const w = new Map<number, [number, number, number]>();
  for (const [at, ms] of slow) {
    const k = Math.floor(at / 250) * 250;
    const e = w.get(k) ?? [k, 0, 0];
    e[1]++;
    e[2] = Math.max(e[2], Math.round(ms));
    w.set(k, e);
  }
  return [...w.values()];
}

function describe(r: ChatResult, cpu: Record<string, number>): string {
  // Accepted but never delivered to every member: acked-then-lost when it is not zero.
  const missing = r.expected - r.delivered;
  const refused = Object.values(r.ackErrors).reduce((a, b) => a + b, 0);
  return (
    `p50 ${r.p50.toFixed(1)} p99 ${r.p99.toFixed(1)} ms (accepted, emit -> last member), ack p99 ${r.ackP99.toFixed(1)} ms, sent ${r.sent} (${r.achievedRate.toFixed(0)}/s) ` +
    `acked ${r.acked} refused ${refused} ${JSON.stringify(r.ackErrors)} in p99 ${r.refusedP99.toFixed(1)} ms (${r.refusedWithoutRetry} without retryAfterMs), no ack ${r.noAck}, ` +
    `receipts missing ${missing}, cpu % of a core ${JSON.stringify(cpu)}, generator stalls > 100 ms [at, ms] ${JSON.stringify(r.generatorStalls)}`
  );
}

if (rounds > 1) {
  console.log(`\nmedians of ${rounds} rounds:`);
  for (const [key, rs] of runs) {
    const m = (f: (r: Run) => number) => median(rs.map(f));
    console.log(
      `${key}: p99 ${m((r) => r.p99).toFixed(1)} ms, acked ${m((r) => r.acked)}, refused ${m((r) => r.sent - r.acked - r.noAck)} in p99 ${m((r) => r.refusedP99).toFixed(1)} ms, no ack ${m((r) => r.noAck)}, receipts missing ${m((r) => r.expected - r.delivered)}, server CPU ${m((r) => r.cpuAll.server ?? 0)} %, generator CPU ${m((r) => r.cpuAll.generator ?? 0)} %`,
    );
  }
}
