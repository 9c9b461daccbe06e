/**
 * Socket syscalls per message:send: scenario 3 once against a side with `perf stat` counting the
 * server's syscalls during the timed load (the counts per send say how many writes a send costs).
 *   bun bench/tools/syscalls-chat.ts [platform-real|platform-embedded|baseline-node] [rate] [ENV=v;…]
 * (`BENCH_TREE=/path` in the env runs another checkout, see servers.ts)
 */
import { cfg } from "../lib/config.ts";
import { runChat, setupChat } from "../lib/chat.ts";
import { parseSideEnv } from "../lib/context.ts";
import { startSide, type SideKind } from "../lib/servers.ts";
import { closeWorkers, spawnWorkers } from "../lib/workers.ts";

const kind = (process.argv[2] ?? "platform-real") as SideKind;
const rate = Number(process.argv[3] ?? cfg.chat.rate);
const side = await startSide(kind, parseSideEnv(process.argv[4] ?? ""));
const workers = await spawnWorkers(cfg.chat.workers);
try {
  const setup = await setupChat(side, workers, cfg.chat.sockets, cfg.chat.roomSize, "sys");
  // perf counts syscall tracepoints in the kernel (all threads, little overhead), unlike strace.
  const events = ["sendto", "sendmsg", "write", "writev", "recvfrom", "read"].map((c) => `syscalls:sys_enter_${c}`);
  const counter = Bun.spawn(["perf", "stat", "-x", ",", "-e", events.join(","), "-p", String(side.pid)], { stderr: "pipe" });
  await Bun.sleep(300);
  const r = await runChat(setup, workers, { ...cfg.chat, rate });
  counter.kill("SIGINT");
  const table = await new Response(counter.stderr).text();
  console.log(`${kind}: sent ${r.sent} p50 ${r.p50.toFixed(1)} p99 ${r.p99.toFixed(1)} ms; cpu ${JSON.stringify(r.cpu)}`);
  for (const line of table.trim().split("\n")) {
    const [count, , event] = line.split(",");
    if (event?.startsWith("syscalls:")) console.log(`  ${event.slice(event.lastIndexOf("_") + 1)}: ${count} calls, ${(Number(count) / r.sent).toFixed(2)} per send`);
  }
} finally {
  await closeWorkers(workers);
  await side.stop(60_000);
}
