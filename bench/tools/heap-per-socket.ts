import { heapStats } from "bun:jsc";
import { startPlatform } from "@rt/testkit";
import { spawnWorkers, closeWorkers, split } from "../lib/workers.ts";
import { rssKb } from "../lib/proc.ts";
const n = Number(process.argv[2] ?? 5000);
const p = await startPlatform({ mode: (process.env.MODE as any) ?? "embedded", env: { RATE_LIMIT_DEFAULT: "100000000" } });
const ws = await spawnWorkers(2);
Bun.gc(true);
const h0 = heapStats();
const r0 = rssKb(process.pid);
const clients = Array.from({ length: n }, (_, i) => ({ sub: `u${i}`, tenant: `h-${Math.floor(i / 100)}` }));
const res = await Promise.all(
  split(clients, 2).map((part, i) => ws[i]!.call("connect", { url: p.url, clients: part, secret: p.config.JWT_SECRET, concurrency: 64, timeoutMs: 120000 })),
);
console.log(
  "ok",
  res.map((r) => r.ok),
);
await Bun.sleep(3000);
Bun.gc(true);
const h1 = heapStats();
const r1 = rssKb(process.pid);
console.log(
  "rss KB/conn",
  ((r1 - r0) / n).toFixed(1),
  "heap KB/conn",
  ((h1.heapSize - h0.heapSize) / 1024 / n).toFixed(2),
  "extra",
  ((h1.extraMemorySize - h0.extraMemorySize) / 1024 / n).toFixed(2),
);
const diff = Object.entries(h1.objectTypeCounts)
  .map(([k, v]) => [k, v - (h0.objectTypeCounts[k] ?? 0)] as const)
  .filter(([, d]) => d >= n / 2)
  .sort((a, b) => b[1] - a[1]);
for (const [k, d] of diff.slice(0, 40))
  console.log(
    String(d / n)
      .padStart(8)
      .slice(0, 8),
    k,
  );
await closeWorkers(ws);
await p.stop();
process.exit(0);
