/**
 * What a gateway pays for envelopes it has no socket for (issue 21, docs/scaling.md), side by side
 * for clusters of different code (e.g. before and after interest-based delivery). With clusters
 * running, each printing its processes,
 *   bun run cluster -- --gateways 3 --replicas 1 > /tmp/new.out &     # and the baseline's, from its checkout
 *   bun bench/tools/tail-cost.ts /tmp/old.out /tmp/new.out            # N=20000, ROUNDS=4 by default
 * one socket of the busy tenant sits on gw-1, one socket of a quiet tenant on each other gateway.
 * Rounds alternate between the clusters; each measures every gateway's idle CPU, then publishes
 * N/ROUNDS broadcasts of the busy tenant through gw-1 and reports each gateway's CPU per envelope,
 * idle subtracted (from /proc/<pid>/stat), and how many envelopes it read from the delivery log
 * (rt_gateway_log_envelopes_received_total). Medians per cluster and gateway, and new/old ratios.
 */
import { readFileSync } from "node:fs";
import { io as ioClient, type Socket } from "socket.io-client";
import { mintToken } from "@rt/auth";
import { DEV_JWT_SECRET } from "@rt/service-kit";

interface Gw {
  name: string;
  pid: number;
  url: string;
}
interface Cluster {
  file: string;
  gws: Gw[];
  key: string;
  sockets: Socket[];
}

const N = Number(process.env.N ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const files = process.argv.slice(2);
if (files.length === 0) files.push("/tmp/cluster.out");

const run = crypto.randomUUID().slice(0, 6);
const BUSY = `t-tail-busy-${run}`;
const QUIET = `t-tail-quiet-${run}`;

async function connect(url: string, tenantId: string, sub: string): Promise<Socket> {
  const token = await mintToken({ sub, tenantId, roles: [], name: sub }, { secret: DEV_JWT_SECRET });
  const s = ioClient(url, { auth: { token }, transports: ["websocket"], forceNew: true });
  await new Promise<void>((resolve, reject) => {
    s.once("connect", () => resolve());
    s.once("connect_error", reject);
  });
  return s;
}

async function load(file: string): Promise<Cluster> {
  const out = readFileSync(file, "utf8");
  const gws = [...out.matchAll(/(gw-\d+)\s+pid (\d+)\s+(http\S+)/g)].map((m) => ({ name: m[1]!, pid: Number(m[2]), url: m[3]! }));
  const key = out.match(/publish API key: (\S+)/)?.[1];
  if (gws.length < 2 || !key) throw new Error(`${file}: no gateways / publish key in the cluster's printout`);
  const sockets = [await connect(gws[0]!.url, BUSY, "busy"), ...(await Promise.all(gws.slice(1).map((g, i) => connect(g.url, QUIET, `quiet${i}`))))];
  return { file, gws, key, sockets };
}

/** utime + stime in clock ticks (100 per second). */
const ticks = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(f[11]) + Number(f[12]);
};
async function received(g: Gw): Promise<number> {
  const text = await (await fetch(`${g.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("rt_gateway_log_envelopes_received_total"));
  // The baseline may predate the counter.
  return line ? Number(line.split(" ").at(-1)) : Number.NaN;
}
async function measure(c: Cluster, work: () => Promise<void>) {
  const before = c.gws.map((g) => ticks(g.pid));
  const got = await Promise.all(c.gws.map(received));
  const t0 = performance.now();
  await work();
  const secs = (performance.now() - t0) / 1000;
  const after = await Promise.all(c.gws.map(received));
  return { ms: c.gws.map((g, i) => (ticks(g.pid) - before[i]!) * 10), secs, received: after.map((n, i) => n - got[i]!) };
}

async function round(c: Cluster, n: number) {
  const idle = await measure(c, () => Bun.sleep(2000));
  const body = JSON.stringify({ tenantId: BUSY, target: { kind: "tenant" }, event: "bench", data: { pad: "x".repeat(200) } });
  let next = 0;
  const busy = await measure(c, async () => {
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next++ < n) {
          const r = await fetch(`${c.gws[0]!.url}/api/publish`, { method: "POST", headers: { "x-api-key": c.key, "content-type": "application/json" }, body });
          if (r.status >= 300) throw new Error(`publish: ${r.status} ${await r.text()}`);
          await r.arrayBuffer();
        }
      }),
    );
    await Bun.sleep(2000);
  });
  return c.gws.map((_, i) => ({ usPerEnvelope: ((busy.ms[i]! - (idle.ms[i]! / idle.secs) * busy.secs) * 1000) / n, received: busy.received[i]! }));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const clusters = [];
for (const f of files) clusters.push(await load(f));
const per = Math.ceil(N / ROUNDS);
const results = clusters.map(() => [] as Awaited<ReturnType<typeof round>>[]);
const cpu0 = process.cpuUsage();
for (let r = 0; r < ROUNDS; r++) {
  // Alternate which cluster goes first, so neither always runs on the warmer machine.
  const order = clusters.map((_, i) => i);
  if (r % 2) order.reverse();
  for (const i of order) results[i]!.push(await round(clusters[i]!, per));
}
const cpu = process.cpuUsage(cpu0);
const table = clusters.map((c, k) =>
  c.gws.map((g, i) => ({ name: g.name, us: median(results[k]!.map((r) => r[i]!.usPerEnvelope)), received: median(results[k]!.map((r) => r[i]!.received)) })),
);
for (const [k, c] of clusters.entries()) {
  console.log(`${c.file}:`);
  for (const [i, g] of table[k]!.entries()) {
    const role = i === 0 ? "the busy tenant's socket; serves the publish requests" : "a quiet tenant's socket only";
    console.log(`  ${g.name}: ${g.us.toFixed(1)} µs of CPU per envelope, read ${g.received} of ${per} from the log (${role})`);
  }
}
if (clusters.length === 2) {
  for (const [i, g] of table[1]!.entries()) console.log(`ratio ${g.name} (second/first): ${(g.us / table[0]![i]!.us).toFixed(2)}`);
}
console.log(
  `${ROUNDS} rounds of ${per} envelopes per cluster; generator CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms; load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`,
);
for (const c of clusters) for (const s of c.sockets) s.close();
