/**
 * Profile the platform under scenario 7's reconnect storm: start it with `bun --cpu-prof-md`, run
 * one storm and print the top self-time functions.
 *   bun bench/tools/profile-presence.ts [batch|user] [users] [embedded|real]   → /tmp/rt-bench-prof/presence-<mode>.md
 * BENCH_TREE=/work/old runs the platform from another checkout (before and after a change).
 */
import { cfg } from "../lib/config.ts";
import { newTenant } from "../lib/chat.ts";
import { cpuSeconds } from "../lib/proc.ts";
import { SECRET } from "../lib/servers.ts";
import { split } from "../lib/workers.ts";
import { profileSide } from "./cpu-profile.ts";

const mode = process.argv[2] === "user" ? "user" : "batch";
const users = Number(process.argv[3] ?? cfg.presence.users);
const kind = process.argv[4] === "real" ? "platform-real" : "platform-embedded";
const tree = process.env.BENCH_TREE;
const c = cfg.presence;
await profileSide({ kind, name: `presence-${mode}.md`, env: tree ? { BENCH_TREE: tree } : {}, workers: c.workers, hotChars: 6000 }, async (side, workers) => {
  await Bun.sleep(1000);
  const tenant = newTenant("presence");
  const clients = Array.from({ length: users }, (_, i) => ({ sub: `u${i}`, tenant }));
  const started = performance.now();
  const cpu0 = cpuSeconds(side.pid);
  const res = await Promise.all(
    split(clients, workers.length).map((part, i) =>
      workers[i]!.call(
        "presence",
        { url: side.url, clients: part, secret: SECRET, mode, users, spreadMs: c.spreadMs, settleTimeoutMs: c.settleTimeoutMs, tailMs: 1000 },
        c.spreadMs + c.settleTimeoutMs + 30_000,
      ),
    ),
  );
  const cpu = cpuSeconds(side.pid) - cpu0;
  const sum = (k: string) => res.reduce((a, r) => a + (r[k] as number), 0);
  const lastConnect = Math.max(...res.map((r) => r.lastConnectAt as number));
  const settledAt = Math.max(...res.map((r) => r.settledAt as number));
  console.log(
    `presence ${mode} (${kind}${tree ? `, ${tree}` : ""}), ${users} users: ${sum("connected")} connected, ${sum("settled")} settled ${((settledAt - lastConnect) / 1000).toFixed(1)} s after the last connect, ${sum("dropped")} dropped, ${sum("frames")} frames, ${((performance.now() - started) / 1000).toFixed(1)} s in all, server CPU ${cpu.toFixed(1)} s; errors ${JSON.stringify(res.flatMap((r) => r.errors).slice(0, 3))}`,
  );
});
