/** The measured sides: the platform (all-in-one, embedded or real NATS + Postgres) and the baseline. */
import { DEV_JWT_SECRET } from "@rt/service-kit";
import { freePort } from "@rt/testkit/ports"; // just the helper, not the whole in-process platform
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { SESSIONS_BUCKET } from "../../apps/gateway/src/outbound/recovery.ts";
import { ROOT, spawnServer, waitQuiet, type Server } from "./proc.ts";
import { QUIET_MAX_MS } from "./config.ts";

export const SECRET = process.env.JWT_SECRET ?? DEV_JWT_SECRET;
export const API_KEY = "bench-publish-key-0123456789";
export const NATS_URL = process.env.BENCH_NATS_URL ?? "nats://127.0.0.1:4222";
export const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** `platform-gateway`: the gateway alone (`start:gateway`, NATS mode), without the services. */
export type SideKind = "platform-embedded" | "platform-real" | "platform-gateway" | "baseline-node" | "baseline-bun";

/**
 * The recovery-session bucket of the default NATS namespace. Every earlier run's sessions stay in
 * it (24 h). Trees before the per-gateway sweep (2026-12-02) read the whole bucket every ~15 s:
 * after a day of bench runs it held 116,382 sessions and each sweep stalled them for 1-2 s (the
 * stalls of bench/README). Each side starts with it empty, as a fresh cluster would, so an older
 * tree run through BENCH_TREE is measured as fairly as this one.
 */
async function purgeSessions() {
  const nc = await connect({ servers: NATS_URL.replace("nats://", "") });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.purge(`KV_${SESSIONS_BUCKET}`).catch(() => undefined); // absent on a fresh server
  } finally {
    await nc.close();
  }
}

/** Preloaded into every server: SIGUSR2 runs a full GC (see `forceGc`). */
const GC_PRELOAD = join(ROOT, "bench/lib/gc-on-signal.mjs"); // absolute: a BENCH_TREE side may predate it

export interface Side extends Server {
  kind: SideKind;
  /** Processes whose CPU counts for this side, besides the server itself. */
  isPlatform: boolean;
}

const HIGH = "100000000";

/** Machine load seen before each side started (foreign load makes figures noisy). */
export const quietLog: { side: SideKind; busyPct: number }[] = [];

/**
 * `extraEnv.BENCH_TREE` runs the side from another checkout of this repository (its own
 * node_modules and patches), e.g. the commit before a change: `platform-real:BENCH_TREE=/work/old`.
 */
export async function startSide(kind: SideKind, extraEnv: Record<string, string> = {}, extraArgs: string[] = []): Promise<Side> {
  const { BENCH_TREE: cwd, ...sideEnv } = extraEnv;
  extraEnv = sideEnv;
  if ((kind === "platform-real" || kind === "platform-gateway") && !extraEnv.NATS_NAMESPACE) await purgeSessions();
  const busyPct = await waitQuiet(QUIET_MAX_MS);
  quietLog.push({ side: kind, busyPct: Math.round(busyPct) });
  if (busyPct > 30) console.log(`  (machine busy ${busyPct.toFixed(0)}% of a core before starting ${kind}: other work on the box)`);
  const port = freePort();
  let s: Server;
  if (kind.startsWith("platform")) {
    const env: Record<string, string> = {
      PORT: String(port),
      LOG_LEVEL: "warn",
      NODE_ENV: "development",
      JWT_SECRET: SECRET,
      PUBLISH_API_KEY: API_KEY,
      RATE_LIMIT_MESSAGE: HIGH,
      RATE_LIMIT_TYPING: HIGH,
      RATE_LIMIT_DEFAULT: HIGH,
      // Every bench client comes from 127.0.0.1.
      RATE_LIMIT_HANDSHAKE: HIGH,
      PGLITE_DIR: "memory",
    };
    if (kind === "platform-real") Object.assign(env, { NATS_URL, DATABASE_URL });
    else if (kind === "platform-gateway") Object.assign(env, { NATS_URL, DATABASE_URL: "" });
    else Object.assign(env, { NATS_URL: "", DATABASE_URL: "" });
    // A side's own env wins (e.g. an old tree on its own DATABASE_URL and NATS_NAMESPACE).
    Object.assign(env, extraEnv);
    const main = kind === "platform-gateway" ? "apps/gateway/src/main.ts" : "apps/all-in-one/src/main.ts";
    s = await spawnServer({ name: kind, cmd: ["bun", ...extraArgs, "run", "--preload", GC_PRELOAD, main], env, port, readyTimeoutMs: 60_000, cwd });
  } else {
    const runtime = kind === "baseline-node" ? "node" : "bun";
    s = await spawnServer({
      name: kind,
      cmd:
        runtime === "node"
          ? ["node", "--expose-gc", "--import", GC_PRELOAD, ...extraArgs, "bench/baseline/server.mjs"]
          : ["bun", ...extraArgs, "run", "--preload", GC_PRELOAD, "bench/baseline/server.mjs"],
      env: { PORT: String(port), JWT_SECRET: SECRET, PUBLISH_API_KEY: API_KEY, DATABASE_URL, ...extraEnv },
      port,
      cwd,
    });
  }
  return Object.assign(s, { kind, isPlatform: kind.startsWith("platform") });
}

/** A full garbage collection in the server (every side preloads the handler), then a moment to settle. */
export async function forceGc(side: Side): Promise<void> {
  process.kill(side.pid, "SIGUSR2");
  await Bun.sleep(1500);
}

export const label: Record<SideKind, string> = {
  "platform-embedded": "platform (embedded)",
  "platform-real": "platform (NATS+PG)",
  "platform-gateway": "gateway alone (NATS)",
  "baseline-node": "baseline socket.io / Node",
  "baseline-bun": "baseline socket.io / Bun",
};
