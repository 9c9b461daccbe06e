/**
 * `bun run cluster -- --gateways 2 --replicas 2 [--namespace x] [--logs]`: a local cluster of
 * separate processes (every app alone, as `bun run start:<app>` runs it) on the machine's NATS and
 * Postgres (NATS_URL / DATABASE_URL override the defaults), in the foreground until Ctrl-C.
 * Extra platform variables pass through: `JWT_SECRET=… RATE_LIMIT_MESSAGE=100 bun run cluster`.
 */
import { parseArgs } from "node:util";
import { startCluster } from "../packages/testkit/src/cluster.ts";
import { TEST_API_KEY, TEST_DATABASE_URL, TEST_NATS_URL } from "../packages/testkit/src/mode.ts";
import { PlatformEnv } from "../packages/service-kit/src/config.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    gateways: { type: "string", default: "2" },
    replicas: { type: "string", default: "2" },
    namespace: { type: "string" },
    logs: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log("bun run cluster -- [--gateways N] [--replicas N] [--namespace NAME] [--logs]");
  process.exit(0);
}
const count = (name: string, v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 16) throw new Error(`--${name} must be an integer from 1 to 16`);
  return n;
};
const gateways = count("gateways", values.gateways!);
const replicas = count("replicas", values.replicas!);

// Platform variables set in this shell reach every process (the cluster sets ports, ids, namespace).
const own = new Set(["PORT", "OPS_PORT", "GATEWAY_ID", "NATS_NAMESPACE", "NATS_URL", "DATABASE_URL"]);
const passed: Record<string, string> = { NODE_ENV: "development", LOG_LEVEL: "warn" };
for (const k of Object.keys(PlatformEnv.in.shape)) {
  const v = process.env[k];
  if (v && !own.has(k)) passed[k] = v;
}

const started = performance.now();
console.log(`starting ${gateways} gateway(s) and ${replicas} replica(s) of every service…`);
const cluster = await startCluster({
  gateways,
  replicas,
  namespace: values.namespace,
  natsUrl: process.env.NATS_URL ?? TEST_NATS_URL,
  databaseUrl: process.env.DATABASE_URL ?? TEST_DATABASE_URL,
  env: passed,
  output: values.logs ? "inherit" : "tail",
});
console.log(`ready in ${((performance.now() - started) / 1000).toFixed(1)} s — NATS namespace ${cluster.namespace}\n`);
for (const p of cluster.processes) {
  console.log(`  ${p.name.padEnd(16)} pid ${String(p.pid).padEnd(8)} ${p.url ?? p.opsUrl}${p.url ? "" : "  (/health /ready /metrics)"}`);
}
console.log(`\ngateways: ${cluster.gatewayUrls.join(" ")}`);
if (cluster.env.PUBLISH_API_KEY === TEST_API_KEY) console.log(`publish API key: ${TEST_API_KEY}`);
console.log("token:    bun run --silent token -- --sub u1 --roles admin");
console.log("Ctrl-C stops every process.");

let stopping = false;
const stop = async () => {
  if (stopping) process.exit(1);
  stopping = true;
  console.log("\nstopping…");
  await cluster.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

// Report a process that dies on its own (it is not restarted: that is what an orchestrator does).
for (const p of cluster.processes) {
  void p.exited.then((code) => {
    if (!stopping) console.error(`${p.name} exited (code ${code})\n${p.logTail()}`);
  });
}
await new Promise(() => {});
