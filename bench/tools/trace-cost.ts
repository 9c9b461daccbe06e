/**
 * What tracing costs (README "Traces"): the all-in-one platform (on NATS + Postgres) of a base checkout
 * without tracing, of this tree with tracing off (the default), with tracing on (OTLP/HTTP to a
 * sink in this script) and with one client event in ten traced ("tenth"), side by side. Each side is one process; rounds alternate
 * the sides (rotated start); each round is N `message:send` from one socket (C in flight) to a room
 * of two, until every ack and every `message:new` of the other member came. Per side: the median
 * of the server's CPU per message and of the round's throughput, the median of its same-round
 * ratios against the base, and the generator's CPU.
 *   git archive <base-commit> | tar -x -C /tmp/otel-base && (cd /tmp/otel-base && bun install)
 *   bun bench/tools/trace-cost.ts /tmp/otel-base [N=2000] [C=8] [rounds=7]
 */
import { join } from "node:path";
import { io, type Socket } from "socket.io-client";
import { mintToken } from "@rt/auth";
import { DEV_JWT_SECRET } from "@rt/service-kit";
import { freePort } from "@rt/testkit";
import { ROOT, cpuSeconds, spawnServer, type Server } from "../lib/proc.ts";

const [base, n = "2000", c = "8", r = "7"] = process.argv.slice(2);
if (!base) throw new Error("usage: bun bench/tools/trace-cost.ts <base checkout> [N] [C] [rounds]");
const N = Number(n);
const C = Number(c);
const ROUNDS = Number(r);
const HIGH = "100000000";

// The OTLP collector stand-in: counts the export requests, answers 200.
let exports = 0;
const sink = Bun.serve({ port: 0, fetch: () => (exports++, new Response("{}")) });

const env = (port: number): Record<string, string> => ({
  PORT: String(port),
  LOG_LEVEL: "warn",
  NODE_ENV: "development",
  JWT_SECRET: DEV_JWT_SECRET,
  RATE_LIMIT_MESSAGE: HIGH,
  RATE_LIMIT_DEFAULT: HIGH,
  RATE_LIMIT_HANDSHAKE: HIGH,
  // NATS + Postgres (as scenario 3's NATS+PG side): the process's own CPU is then the gateway's and the services'.
  NATS_URL: process.env.BENCH_NATS_URL ?? "nats://127.0.0.1:4222",
  DATABASE_URL: process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test",
});

interface Side {
  name: string;
  server: Server;
  sender: Socket;
  receiver: Socket;
  roomId: number;
  cpuUsPerMsg: number[];
  perSec: number[];
  refused: number;
  missing: number;
}

async function start(name: string, root: string, extra: Record<string, string> = {}): Promise<Side> {
  const port = freePort();
  // A namespace per side: the sides share the NATS server, never each other's requests or deliveries.
  const sideEnv = { ...env(port), NATS_NAMESPACE: `trace-cost-${name}-${process.pid}`, ...extra };
  const server = await spawnServer({ name: `trace-cost-${name}`, cmd: ["bun", "run", join(root, "apps/all-in-one/src/main.ts")], env: sideEnv, port, readyTimeoutMs: 60_000 });
  const tenantId = `bench-trace-${name}-${process.pid}`;
  const token = (sub: string) => mintToken({ sub, tenantId }, { secret: DEV_JWT_SECRET });
  const res = await fetch(`${server.url}/api/chat/rooms`, {
    method: "POST",
    headers: { authorization: `Bearer ${await token("u0")}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "trace-cost", memberIds: ["u1"] }),
  });
  const roomId = ((await res.json()) as { id: number }).id;
  const open = async (sub: string) => {
    const s = io(server.url, { transports: ["websocket"], auth: { token: await token(sub) }, reconnection: false, forceNew: true });
    await new Promise((ok, ko) => (s.once("connect", ok), s.once("connect_error", ko)));
    const ack = await s.timeout(5000).emitWithAck("join_room", { roomId });
    if (!ack.ok) throw new Error(`join_room: ${JSON.stringify(ack)}`);
    return s;
  };
  return { name, server, sender: await open("u0"), receiver: await open("u1"), roomId, cpuUsPerMsg: [], perSec: [], refused: 0, missing: 0 };
}

async function round(side: Side, count: number) {
  let received = 0;
  const onNew = () => void received++;
  side.receiver.on("message:new", onNew);
  const cpu0 = cpuSeconds(side.server.pid);
  const t0 = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      const ack = await side.sender.timeout(10_000).emitWithAck("message:send", { roomId: side.roomId, content: `m${i}` });
      // The shared Postgres and NATS are sometimes restarted by others' fault tests: counted, not fatal.
      if (ack.ok) acked++;
      else side.refused++;
    }
  };
  let acked = 0;
  await Promise.all(Array.from({ length: C }, lane));
  const deadline = Date.now() + 10_000;
  while (received < acked && Date.now() < deadline) await Bun.sleep(5);
  const secs = (performance.now() - t0) / 1000;
  side.receiver.off("message:new", onNew);
  side.missing += Math.max(0, acked - received);
  return { cpuUsPerMsg: ((cpuSeconds(side.server.pid) - cpu0) * 1e6) / count, perSec: count / secs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const sides: Side[] = [];
let gen0 = process.cpuUsage();
let g0 = performance.now();
try {
  // One at a time, each kept as soon as it runs, so `finally` stops whatever did start.
  sides.push(await start("base", base));
  sides.push(await start("off", ROOT));
  sides.push(await start("on", ROOT, { OTEL_TRACES_EXPORTER: "otlp", OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.port}` }));
  sides.push(
    await start("tenth", ROOT, {
      OTEL_TRACES_EXPORTER: "otlp",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.port}`,
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.1",
    }),
  );
  for (const s of sides) await round(s, Math.min(500, N)); // warm-up
  gen0 = process.cpuUsage();
  g0 = performance.now();
  for (let i = 0; i < ROUNDS; i++) {
    for (let k = 0; k < sides.length; k++) {
      const s = sides[(i + k) % sides.length]!;
      const m = await round(s, N);
      s.cpuUsPerMsg.push(m.cpuUsPerMsg);
      s.perSec.push(m.perSec);
    }
  }
} finally {
  for (const s of sides) {
    s.sender.close();
    s.receiver.close();
    await s.server.stop();
  }
  sink.stop(true);
}
const gen = process.cpuUsage(gen0);
const genPct = ((gen.user + gen.system) / 1000 / (performance.now() - g0)) * 100;
const b = sides[0]!;
console.log(`message:send, ${ROUNDS} rounds of ${N} per side, ${C} in flight, NATS + Postgres; medians:`);
// The box's load drifts during a run: each side is compared with the base in the same round (run
// next to each other), and the ratios' median is the figure; the sides' own medians are beside it.
const pairedRatio = (xs: number[], base: number[]) => median(xs.map((x, i) => x / base[i]!));
for (const s of sides) {
  const cpu = median(s.cpuUsPerMsg);
  const rate = median(s.perSec);
  console.log(
    `  ${s.name.padEnd(5)} server CPU ${cpu.toFixed(0)} µs/msg (×${pairedRatio(s.cpuUsPerMsg, b.cpuUsPerMsg).toFixed(3)} vs base, same-round ratios)  ` +
      `${rate.toFixed(0)} msg/s (×${pairedRatio(s.perSec, b.perSec).toFixed(3)})  rounds cpu ${JSON.stringify(s.cpuUsPerMsg.map(Math.round))}, refused ${s.refused}, not delivered ${s.missing}`,
  );
}
console.log(`  OTLP export requests received from "on" and "tenth": ${exports}; generator CPU ${genPct.toFixed(0)}% of a core`);
