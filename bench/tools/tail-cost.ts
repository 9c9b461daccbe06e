/**
 * What a gateway pays for envelopes it has no socket for (issue 21, docs/scaling.md): every gateway
 * tails the whole delivery log. With a cluster running
 *   bun run cluster -- --gateways 3 --replicas 1 > /tmp/cluster.out &
 *   bun bench/tools/tail-cost.ts /tmp/cluster.out        # N=20000 by default
 * it measures each gateway's idle CPU, then publishes N tenant broadcasts (tenant without sockets)
 * through gw-1 and reports each gateway's CPU per envelope, idle subtracted (from /proc/<pid>/stat).
 * gw-2 and gw-3 hold no sockets and receive no requests: their figure is the cost of the tail alone.
 */
import { readFileSync } from "node:fs";

const out = readFileSync(process.argv[2] ?? "/tmp/cluster.out", "utf8");
const gws = [...out.matchAll(/(gw-\d+)\s+pid (\d+)\s+(http\S+)/g)].map((m) => ({ name: m[1]!, pid: Number(m[2]), url: m[3]! }));
const key = out.match(/publish API key: (\S+)/)?.[1];
if (!gws.length || !key) throw new Error("no gateways / publish key in the cluster's printout");
/** utime + stime in clock ticks (100 per second). */
const ticks = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(f[11]) + Number(f[12]);
};
const cpuMs = async (run: () => Promise<void>) => {
  const before = gws.map((g) => ticks(g.pid));
  const t0 = performance.now();
  await run();
  return { ms: gws.map((g, i) => (ticks(g.pid) - before[i]!) * 10), secs: (performance.now() - t0) / 1000 };
};

const N = Number(process.env.N ?? 20_000);
const idle = await cpuMs(() => Bun.sleep(5000));
const body = JSON.stringify({ tenantId: "t-tail-cost", target: { kind: "tenant" }, event: "bench", data: { pad: "x".repeat(200) } });
let next = 0;
const busy = await cpuMs(async () => {
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next++ < N) {
        const r = await fetch(`${gws[0]!.url}/api/publish`, { method: "POST", headers: { "x-api-key": key, "content-type": "application/json" }, body });
        if (r.status >= 300) throw new Error(`publish: ${r.status} ${await r.text()}`);
        await r.arrayBuffer();
      }
    }),
  );
  await Bun.sleep(2000);
});
for (const [i, g] of gws.entries()) {
  const own = busy.ms[i]! - (idle.ms[i]! / idle.secs) * busy.secs;
  console.log(`${g.name}: ${((own * 1000) / N).toFixed(1)} µs of CPU per envelope${i === 0 ? " (also serves the publish requests)" : " (no sockets: the tail alone)"}`);
}
console.log(`${N} envelopes in ${(busy.secs - 2).toFixed(1)} s; load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
