/**
 * A local cluster of separate processes on the machine's NATS + Postgres: N gateways and R
 * replicas of every service, each started as `bun run apps/<app>/src/main.ts` (what
 * `bun run start:<app>` runs), all in one NATS_NAMESPACE so the cluster is isolated on a shared
 * NATS. Used by `bun run cluster`, the `TEST_MODE=cluster` test run and the fault tests.
 */
import type { Subprocess } from "bun";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { freePort } from "./ports.ts";
import { inheritedEnv, REPO_ROOT as ROOT, SETPRIV } from "./spawn.ts";
import { TEST_API_KEY, TEST_DATABASE_URL, TEST_NATS_URL, TEST_LOG_MAX_BYTES, TEST_WEBHOOK_SECRET, testNamespace } from "./mode.ts";

export const SERVICE_APPS = ["presence", "chat", "calls", "jobs", "notifications", "payments", "sync"] as const;
export type ServiceApp = (typeof SERVICE_APPS)[number];
export type ClusterApp = "gateway" | ServiceApp;

export interface ClusterProcess {
  app: ClusterApp;
  /** gw-1, gw-2… for gateways (their GATEWAY_ID); chat-1, chat-2… for services. */
  name: string;
  /** Current pid (changes on restart). */
  readonly pid: number;
  /** Gateway only: its public URL. */
  url?: string;
  /** Service only: its /health, /ready, /metrics URL. */
  opsUrl?: string;
  /** The URL whose /ready says the process is up. */
  readyUrl: string;
  readonly alive: boolean;
  /** Resolves with the exit code when the current process ends. */
  readonly exited: Promise<number>;
  /** Send a signal (default SIGTERM); resolves once the process has exited (bounded by timeoutMs). */
  kill(signal?: NodeJS.Signals | number, timeoutMs?: number): Promise<number | null>;
  /** Start it again (same ports and env) after it exited; resolves when /ready answers. */
  restart(opts?: { readyTimeoutMs?: number }): Promise<void>;
  /** Last lines of its output, for failure messages. */
  logTail(): string;
}

export interface Cluster {
  namespace: string;
  /** The env every process got (without the per-process PORT / OPS_PORT / GATEWAY_ID). */
  env: Record<string, string>;
  gatewayUrls: string[];
  processes: ClusterProcess[];
  gateways: ClusterProcess[];
  /** The replicas of one service (or the gateways). */
  of(app: ClusterApp): ClusterProcess[];
  stop(): Promise<void>;
}

export interface ClusterOptions {
  gateways?: number;
  replicas?: number;
  /** Extra environment for every process (overrides the defaults below). */
  env?: Record<string, string>;
  /** NATS_NAMESPACE of the cluster; a fresh one by default. */
  namespace?: string;
  natsUrl?: string;
  databaseUrl?: string;
  /** "tail" keeps the last lines of each child's output (default); "inherit" also echoes them. */
  output?: "tail" | "inherit";
  /** Bound on the wait for every /ready (default 90 s: 14 processes on 2 cores). */
  readyTimeoutMs?: number;
  /** Delete the namespace's streams and buckets on stop() (default: when the namespace was generated). */
  dropNamespace?: boolean;
}

const live = new Set<Subprocess>();
let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test process that ends (or crashes) takes its cluster with it.
  process.on("exit", () => {
    for (const p of live) {
      try {
        p.kill("SIGKILL");
      } catch {}
    }
  });
}

/**
 * Delete every JetStream stream (KV buckets included) of a namespace: what a cluster leaves behind
 * in the machine's NATS, which would otherwise pile up run after run.
 */
export async function dropNamespace(natsUrl: string, namespace: string): Promise<void> {
  const nc = await connect({ servers: natsUrl, name: `drop-${namespace}`, timeout: 5000 });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const si of jsm.streams.list()) {
      if (si.config.name.endsWith(`_${namespace}`)) await jsm.streams.delete(si.config.name).catch(() => {});
    }
  } finally {
    await nc.close();
  }
}

/** Test namespaces (`testNamespace()` names) that still have streams: what killed or failed tests left behind. */
export async function testNamespacesLeft(natsUrl: string): Promise<string[]> {
  const nc = await connect({ servers: natsUrl, name: "test-namespaces-left", timeout: 5000 });
  try {
    const jsm = await jetstreamManager(nc);
    const left = new Set<string>();
    for await (const si of jsm.streams.list()) {
      const ns = /_(t[0-9a-f]{10})$/.exec(si.config.name)?.[1];
      if (ns) left.add(ns);
    }
    return [...left];
  } finally {
    await nc.close();
  }
}

/** Poll `url` until it answers 200, or fail after timeoutMs (or when `gone` resolves first). */
export async function waitReady(url: string, timeoutMs: number, gone?: Promise<unknown>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void gone?.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`process exited before ${url} was ready`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (r.ok) return;
    } catch {}
    await Bun.sleep(150);
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

function baseEnv(o: ClusterOptions, namespace: string): Record<string, string> {
  return {
    ...inheritedEnv(),
    NODE_ENV: "test",
    LOG_LEVEL: "warn",
    NATS_URL: o.natsUrl ?? TEST_NATS_URL,
    DATABASE_URL: o.databaseUrl ?? TEST_DATABASE_URL,
    NATS_NAMESPACE: namespace,
    DELIVERY_LOG_MAX_BYTES: String(TEST_LOG_MAX_BYTES),
    PUBLISH_API_KEY: TEST_API_KEY,
    PAYMENTS_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    ...o.env,
  };
}

function spawnApp(app: ClusterApp, env: Record<string, string>, output: "tail" | "inherit", tail: string[], label: string): Subprocess {
  const proc = Bun.spawn([...SETPRIV, process.execPath, "run", `apps/${app}/src/main.ts`], {
    cwd: ROOT,
    env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  live.add(proc);
  void proc.exited.then(() => live.delete(proc));
  // Always read the pipes: a child whose pipe fills up would block.
  const pump = async (stream: ReadableStream<Uint8Array>, out: NodeJS.WriteStream) => {
    const dec = new TextDecoder();
    let partial = "";
    const reader = stream.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      const lines = (partial + dec.decode(r.value, { stream: true })).split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) {
        tail.push(l);
        if (tail.length > 40) tail.shift();
        if (output === "inherit") out.write(`[${label}] ${l}\n`);
      }
    }
  };
  void pump(proc.stdout as ReadableStream<Uint8Array>, process.stdout).catch(() => {});
  void pump(proc.stderr as ReadableStream<Uint8Array>, process.stderr).catch(() => {});
  return proc;
}

/**
 * Start `gateways` gateways (GATEWAY_ID gw-1…, free PORTs) and `replicas` replicas of every
 * service (free OPS_PORTs) as separate processes, and wait until every one answers /ready.
 * Children are killed by stop() and when this process exits.
 */
export async function startCluster(o: ClusterOptions = {}): Promise<Cluster> {
  installExitHook();
  const namespace = o.namespace ?? testNamespace();
  const env = baseEnv(o, namespace);
  const output = o.output ?? "tail";
  const readyTimeoutMs = o.readyTimeoutMs ?? 90_000;
  const processes: ClusterProcess[] = [];

  const make = (app: ClusterApp, index: number): ClusterProcess => {
    const port = freePort();
    const name = app === "gateway" ? `gw-${index}` : `${app}-${index}`;
    const own: Record<string, string> = app === "gateway" ? { ...env, PORT: String(port), GATEWAY_ID: name } : { ...env, OPS_PORT: String(port), PORT: "0" };
    const base = `http://127.0.0.1:${port}`;
    const tail: string[] = [];
    let proc = spawnApp(app, own, output, tail, name);
    const handle: ClusterProcess = {
      app,
      name,
      get pid() {
        return proc.pid;
      },
      url: app === "gateway" ? base : undefined,
      opsUrl: app === "gateway" ? undefined : base,
      readyUrl: `${base}/ready`,
      get alive() {
        return proc.exitCode === null && proc.signalCode === null;
      },
      get exited() {
        return proc.exited;
      },
      async kill(signal = "SIGTERM", timeoutMs = 15_000) {
        if (!handle.alive) return proc.exitCode;
        proc.kill(signal);
        const code = await Promise.race([proc.exited, Bun.sleep(timeoutMs).then(() => null)]);
        if (code === null) {
          proc.kill("SIGKILL");
          await proc.exited;
        }
        return code;
      },
      async restart(r = {}) {
        if (handle.alive) await handle.kill("SIGTERM");
        proc = spawnApp(app, own, output, tail, name);
        await waitReady(handle.readyUrl, r.readyTimeoutMs ?? readyTimeoutMs, proc.exited).catch((err) => {
          throw new Error(`${name}: ${err.message}\n${handle.logTail()}`);
        });
      },
      logTail: () => tail.join("\n"),
    };
    return handle;
  };

  for (let i = 1; i <= (o.replicas ?? 2); i++) for (const app of SERVICE_APPS) processes.push(make(app, i));
  for (let i = 1; i <= (o.gateways ?? 2); i++) processes.push(make("gateway", i));

  const stop = async () => {
    // Gateways first (clients move on), then services; each gets SIGTERM, then SIGKILL.
    const gws = processes.filter((p) => p.app === "gateway");
    await Promise.all(gws.map((p) => p.kill("SIGTERM", 12_000)));
    await Promise.all(processes.filter((p) => p.app !== "gateway").map((p) => p.kill("SIGTERM", 12_000)));
    if (o.dropNamespace ?? !o.namespace) await dropNamespace(env.NATS_URL!, namespace).catch(() => {});
  };

  try {
    await Promise.all(
      processes.map((p) =>
        waitReady(p.readyUrl, readyTimeoutMs, p.exited).catch((err) => {
          throw new Error(`${p.name}: ${err.message}\n${p.logTail()}`);
        }),
      ),
    );
  } catch (err) {
    await Promise.all(processes.map((p) => p.kill("SIGKILL")));
    if (o.dropNamespace ?? !o.namespace) await dropNamespace(env.NATS_URL!, namespace).catch(() => {});
    throw err;
  }

  const gateways = processes.filter((p) => p.app === "gateway");
  return {
    namespace,
    env,
    gatewayUrls: gateways.map((g) => g.url!),
    processes,
    gateways,
    of: (app) => processes.filter((p) => p.app === app),
    stop,
  };
}
