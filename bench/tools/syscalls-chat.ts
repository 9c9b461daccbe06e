/**
 * Socket syscalls per message:send: scenario 3 once against a side with `strace -c -f` attached
 * to the server during the timed load (the counts per send say how many writes a send costs).
 *   bun bench/tools/syscalls-chat.ts [platform-real|platform-embedded|baseline-node] [rate]
 */
import { cfg } from "../lib/config.ts";
import { runChat, setupChat } from "../lib/chat.ts";
import { startSide, type SideKind } from "../lib/servers.ts";
import { closeWorkers, spawnWorkers } from "../lib/workers.ts";

const kind = (process.argv[2] ?? "platform-real") as SideKind;
const rate = Number(process.argv[3] ?? cfg.chat.rate);
const side = await startSide(kind);
const workers = await spawnWorkers(cfg.chat.workers);
try {
  const setup = await setupChat(side, workers, cfg.chat.sockets, cfg.chat.roomSize, "sys");
  // strace counts every thread's socket syscalls; it slows the server, so use a modest rate.
  const tracer = Bun.spawn(
    ["strace", "-c", "-f", "-e", "trace=write,writev,sendto,sendmsg,read,recvfrom,recvmsg,epoll_wait,epoll_pwait,epoll_pwait2,io_uring_enter", "-p", String(side.pid)],
    { stderr: "pipe" },
  );
  await Bun.sleep(500);
  const r = await runChat(setup, workers, { ...cfg.chat, rate });
  tracer.kill("SIGINT");
  const table = await new Response(tracer.stderr).text();
  console.log(`${kind}: sent ${r.sent} p50 ${r.p50.toFixed(1)} p99 ${r.p99.toFixed(1)} ms (under strace); cpu ${JSON.stringify(r.cpu)}`);
  for (const line of table.split("\n")) {
    const m = line.trim().split(/\s+/);
    if (m.length >= 5 && /^\d/.test(m[0]!)) console.log(`  ${m.at(-1)}: ${m[3]} calls, ${(Number(m[3]) / r.sent).toFixed(2)} per send`);
  }
} finally {
  await closeWorkers(workers);
  await side.stop(60_000);
}
