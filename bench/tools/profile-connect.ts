/**
 * Profile what a connect costs: scenario 1's load (N clients connecting) against one side under
 * `bun --cpu-prof-md`, then the top self-time functions.
 *   bun bench/tools/profile-connect.ts [platform-gateway|platform-embedded|platform-real] [clients=5000]
 */
import { cfg } from "../lib/config.ts";
import { newTenant } from "../lib/chat.ts";
import { SECRET, type SideKind } from "../lib/servers.ts";
import { split } from "../lib/workers.ts";
import { profileSide } from "./cpu-profile.ts";

const kind = (process.argv[2] ?? "platform-gateway") as SideKind;
const n = Number(process.argv[3] ?? 5000);
await profileSide({ kind, name: `connect-${kind}.md`, env: {}, workers: cfg.idle.workers, hotChars: 5000 }, async (side, workers) => {
  const tenant = newTenant("prof");
  const clients = Array.from({ length: n }, (_, i) => ({ sub: `u${i}`, tenant: `${tenant}-${Math.floor(i / cfg.idle.tenantSize)}` }));
  const t0 = performance.now();
  const res = await Promise.all(
    split(clients, workers.length).map((part, i) =>
      workers[i]!.call("connect", { url: side.url, clients: part, secret: SECRET, concurrency: cfg.idle.concurrency, timeoutMs: 120_000 }),
    ),
  );
  const ok = res.reduce((a, r) => a + r.ok, 0);
  console.log(`${kind}: ${ok}/${n} connected, ${((ok / (performance.now() - t0)) * 1000).toFixed(0)}/s`);
});
