/**
 * A quick look at scenarios 3/4 for one side, without the full bench: chat load at a few rates,
 * with the generator's CPU and the whole machine's beside the server's (the box is shared).
 *   bun bench/tools/chat-steps.ts [platform-real|platform-embedded|baseline-node] [rates=500,1000] [sockets=1000] [roomSize=20] [ms=5000]
 */
import { cfg } from "../lib/config.ts";
import { cpuGroups, runChat, setupChat } from "../lib/chat.ts";
import { cpuMeter, machineMeter } from "../lib/proc.ts";
import { startSide, type SideKind } from "../lib/servers.ts";
import { closeWorkers, spawnWorkers } from "../lib/workers.ts";

const [kind = "platform-real", rates = "500,1000", sockets = "1000", roomSize = "20", ms = "5000"] = process.argv.slice(2);
const side = await startSide(kind as SideKind);
const workers = await spawnWorkers(cfg.chat.workers);
try {
  const setup = await setupChat(side, workers, Number(sockets), Number(roomSize), "steps");
  console.log(`setup: ${setup.connected} connected, ${setup.connectFailed} connect failures, ${setup.joinFailed} join failures, ${setup.rooms.length} rooms`);
  for (const rate of rates.split(",").map(Number)) {
    const gen = cpuMeter({ ...cpuGroups(side), generator: () => workers.map((w) => w.proc.pid) });
    const machine = machineMeter();
    const r = await runChat(setup, workers, { rate, durationMs: Number(ms), warmupMs: 1000, drainMs: 3000 });
    const cpu = Object.fromEntries(Object.entries({ ...gen(), machine: machine().busy }).map(([k, v]) => [k, Math.round(v)]));
    const lost = r.sent - r.acked + (r.expected - r.delivered);
    console.log(
      `${kind} @ ${rate}/s (${r.sockets} sockets, rooms of ${roomSize}): p50 ${r.p50.toFixed(1)} p99 ${r.p99.toFixed(1)} ms, ack p99 ${r.ackP99.toFixed(1)} ms, ` +
        `sent ${r.sent} (${r.achievedRate.toFixed(0)}/s) acked ${r.acked} delivered ${r.delivered}/${r.expected} missing ${lost}, refused ${JSON.stringify(r.ackErrors)}, no ack ${r.noAck}, cpu % of a core ${JSON.stringify(cpu)}`,
    );
  }
} finally {
  await closeWorkers(workers);
  await side.stop(60_000);
}
