import { io as ioClient, type Socket as ClientSocket, type ManagerOptions, type SocketOptions } from "socket.io-client";
import { connectTestBus } from "./test-bus.ts";
import { createMemoryBus, createNatsBus } from "@rt/bus";
import { createPglite, createPostgres } from "@rt/db";
import { busStreams, type Ack, type ServerEventName, type ServerEventPayload } from "@rt/contracts";
import { mintToken, type MintOptions } from "@rt/auth";
import { createLogger, loadConfig, PlatformEnv, type PlatformConfig } from "@rt/service-kit";
import { startPlatform as startAll, type Platform } from "@rt/app-all-in-one";
import type { Bus } from "@rt/bus";
import { TEST_ADMIN_KEY, TEST_API_KEY, TEST_DATABASE_URL, TEST_LOG_MAX_BYTES, TEST_NATS_URL, TEST_WEBHOOK_SECRET, testMode, uniqueTenant, type TestMode } from "./mode.ts";
import { startCluster } from "./cluster.ts";

export type { ClientSocket };

export interface ConnectOptions extends Partial<MintOptions> {
  sub: string;
  /** Extra handshake `auth` fields (seed clients send userId / tenantId). */
  auth?: Record<string, unknown>;
  /** Socket.IO path; `/api/socket` is the seed-001 path. */
  path?: string;
  transports?: ("websocket" | "polling")[];
  /** Connect without a token (AUTH_ANONYMOUS tests). */
  anonymous?: boolean;
  /** Resolve on connect_error too, instead of rejecting. */
  expectError?: boolean;
  options?: Partial<ManagerOptions & SocketOptions>;
  /** Cluster mode: connect to this gateway (0-based) instead of the next one in turn. */
  gateway?: number;
}

export interface TestPlatform {
  url: string;
  mode: TestMode;
  /** A fresh tenant for this platform; tokens default to it. */
  tenant: string;
  config: PlatformConfig;
  /**
   * The in-process platform. In cluster mode only `url` and `bus` (a NATS bus in the cluster's
   * namespace) exist: the gateways and services run in other processes.
   */
  platform: Platform;
  /** Every gateway: one in process modes, the cluster's in cluster mode (connect() alternates). */
  gatewayUrls: string[];
  token(o: Partial<MintOptions> & { sub: string }): Promise<string>;
  connect(o: ConnectOptions): Promise<ClientSocket>;
  /** fetch on the gateway; `token` adds a bearer header, JSON bodies are encoded. */
  fetch(path: string, init?: RequestInit & { token?: string; json?: unknown }): Promise<Response>;
  stop(): Promise<void>;
}

export interface StartPlatformOptions {
  mode?: TestMode;
  env?: Record<string, string>;
  namespace?: string;
  /** Where an in-process platform writes its JSON log lines (LOG_LEVEL in env sets the level). */
  logDestination?: Parameters<typeof createLogger>[0]["destination"];
  /**
   * Cluster mode: run this platform in process (on NATS + Postgres) anyway, for a test that reaches
   * into the gateway object (`platform.gateway`), which a cluster's separate processes cannot offer.
   */
  inProcess?: boolean;
}

/**
 * The platform a test talks to, plus a socket.io-client factory whose sockets are closed by stop().
 * embedded / nats: the whole platform in this process on the mode's bus and database, on a free
 * port. cluster: the shared cluster of separate processes (see clusterPlatform).
 */
export async function startPlatform(opts: StartPlatformOptions = {}): Promise<TestPlatform> {
  const mode = opts.mode ?? testMode();
  if (mode === "cluster" && !opts.inProcess) {
    const cluster = await sharedCluster();
    // A test asking for settings the cluster was not started with (AUTH_ANONYMOUS, other rate
    // limits, ALLOWED_ORIGINS, TEST_EVENTS, production…) gets an in-process platform on NATS +
    // Postgres instead: the cluster is shared by every test file of the run.
    if (Object.entries(opts.env ?? {}).every(([k, v]) => cluster.env[k] === v)) return clusterPlatform(cluster);
  }
  return inProcessPlatform(mode === "cluster" ? "nats" : mode, opts);
}

async function inProcessPlatform(mode: "embedded" | "nats", opts: StartPlatformOptions): Promise<TestPlatform> {
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "silent",
    PUBLISH_API_KEY: TEST_API_KEY,
    PAYMENTS_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    ...LOOPBACK_TEST_ENV,
    ...opts.env,
  });
  const log = createLogger({ name: "test-platform", level: config.LOG_LEVEL, destination: opts.logDestination });
  const bus = mode === "nats" ? await connectTestBus("test-platform", opts.namespace) : createMemoryBus({ streams: busStreams });
  const db = mode === "nats" ? createPostgres(TEST_DATABASE_URL) : await createPglite("memory");
  const platform = await startAll({ config, log, port: 0, bus, db });
  return clientSide({ mode, config, platform, gatewayUrls: [platform.url], stop: () => platform.stop() });
}

/**
 * What the cluster-mode run shares: described by `bun run test` in RT_TEST_CLUSTER (it starts one
 * cluster for the whole run), else started here once for this process and killed at its exit.
 */
export interface SharedClusterInfo {
  namespace: string;
  gatewayUrls: string[];
  /** The platform env every process of the cluster got. */
  env: Record<string, string>;
}

/** Every test client comes from 127.0.0.1: one address must not exhaust the per-address handshake budget. */
export const LOOPBACK_TEST_ENV: Record<string, string> = { RATE_LIMIT_HANDSHAKE: "1000000" };

/** Relaxed rate limits of the shared test cluster (the tests that need the defaults set them). */
export const CLUSTER_TEST_ENV: Record<string, string> = {
  ...LOOPBACK_TEST_ENV,
  RATE_LIMIT_MESSAGE: "1000",
  RATE_LIMIT_TYPING: "1000",
  RATE_LIMIT_DEFAULT: "1000",
  // The admin API and console tests (apps/gateway/src/http/admin) run against the shared cluster.
  ADMIN_API_KEY: TEST_ADMIN_KEY,
  ADMIN_CONSOLE: "true",
};

let shared: Promise<SharedClusterInfo> | undefined;
function sharedCluster(): Promise<SharedClusterInfo> {
  return (shared ??= (async () => {
    const described = process.env.RT_TEST_CLUSTER;
    if (described) return JSON.parse(described) as SharedClusterInfo;
    const c = await startCluster({ gateways: 2, replicas: 2, env: CLUSTER_TEST_ENV });
    return { namespace: c.namespace, gatewayUrls: c.gatewayUrls, env: platformEnv(c.env) };
  })());
}

/** The platform variables of a cluster's env (no PATH, HOME…), as RT_TEST_CLUSTER carries them. */
export function platformEnv(env: Record<string, string>): Record<string, string> {
  // Every declared variable, optional ones (ADMIN_API_KEY, PUBLISH_API_KEY…) included.
  const keys = Object.keys(PlatformEnv.in.shape);
  return Object.fromEntries(Object.entries(env).filter(([k]) => keys.includes(k)));
}

let clusterBus: Promise<Bus> | undefined;

/**
 * A platform backed by the shared cluster: a fresh tenant per call keeps tests apart; connect()
 * alternates between the gateways so two clients of a test sit on different gateways; url and
 * fetch use gateway 1 (REST is relayed over NATS, any gateway serves it).
 */
async function clusterPlatform(cluster: SharedClusterInfo): Promise<TestPlatform> {
  const config = loadConfig(cluster.env);
  // One connection per test process, shared by its platforms and never drained: the cluster
  // outlives every platform of the run (scripts/test.ts stops it and drops its namespace).
  const bus = await (clusterBus ??= createNatsBus({
    url: cluster.env.NATS_URL ?? TEST_NATS_URL,
    name: `test-cluster-client-${process.pid}`,
    streams: busStreams,
    namespace: cluster.namespace,
    logMaxBytes: TEST_LOG_MAX_BYTES,
  }));
  const url = cluster.gatewayUrls[0]!;
  const elsewhere = (what: string): never => {
    throw new Error(`cluster mode: ${what} runs in another process (startPlatform({ inProcess: true }) for tests that need it)`);
  };
  const platform = {
    url,
    bus,
    get gateway() {
      return elsewhere("the gateway");
    },
    get db() {
      return elsewhere("the database of the services");
    },
    async stop() {},
  } as Platform;
  return clientSide({ mode: "cluster", config, platform, gatewayUrls: cluster.gatewayUrls, stop: async () => {} });
}

/** Tokens, sockets (alternating over gatewayUrls) and fetch for a platform. */
function clientSide(o: { mode: TestMode; config: PlatformConfig; platform: Platform; gatewayUrls: string[]; stop: () => Promise<void> }): TestPlatform {
  const { config, platform, gatewayUrls } = o;
  const url = gatewayUrls[0]!;
  const tenant = uniqueTenant();
  const sockets = new Set<ClientSocket>();
  const token = (t: Partial<MintOptions> & { sub: string }) => {
    // A platform verifying only an identity provider's keys: the test signs its own tokens.
    if (!config.JWT_SECRET) throw new Error("this platform has no JWT_SECRET: sign tokens with the identity provider's key (idpToken)");
    return mintToken({ tenantId: tenant, ...t }, { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });
  };
  let turn = 0;

  return {
    url,
    mode: o.mode,
    tenant,
    config,
    platform,
    gatewayUrls,
    token,
    async connect(c) {
      const t = c.anonymous ? undefined : await token(c);
      const target = gatewayUrls[(c.gateway ?? turn++) % gatewayUrls.length]!;
      const s = ioClient(target, {
        path: c.path ?? "/socket.io/",
        transports: c.transports ?? ["websocket"],
        auth: { ...(t ? { token: t } : {}), ...c.auth },
        reconnection: false,
        forceNew: true,
        ...c.options,
      });
      sockets.add(s);
      await new Promise<void>((resolve, reject) => {
        s.once("connect", () => resolve());
        s.once("connect_error", (err) => (c.expectError ? resolve() : reject(err)));
      });
      return s;
    },
    fetch(path, init = {}) {
      return fetch(url + path, requestInit(init));
    },
    async stop() {
      for (const s of sockets) s.close();
      await o.stop();
    },
  };
}

/** A fetch init with `token` as a bearer header and `json` as the body. */
export function requestInit(init: RequestInit & { token?: string; json?: unknown }): RequestInit {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  return { ...init, headers, body };
}

interface WaitOptions<T> {
  timeoutMs?: number;
  filter?: (d: T) => boolean;
}

/**
 * The next `event` on a socket (optionally the first matching `filter`), or a timeout error; a
 * contract event's payload is typed from the server-event map, as the client SDK's `on`.
 */
export function waitFor<E extends ServerEventName>(socket: ClientSocket, event: E, opts?: WaitOptions<ServerEventPayload<E>>): Promise<ServerEventPayload<E>>;
/** A free-form published event (`POST /api/publish`, `emitToPDG`…): the caller names its payload type. */
export function waitFor<T = any>(socket: ClientSocket, event: string, opts?: WaitOptions<T>): Promise<T>;
export function waitFor<T>(socket: ClientSocket, event: string, opts: WaitOptions<T> = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, on);
      reject(new Error(`timed out waiting for ${event}`));
    }, opts.timeoutMs ?? 3000);
    const on = (d: T) => {
      if (opts.filter && !opts.filter(d)) return;
      clearTimeout(timer);
      socket.off(event, on);
      resolve(d);
    };
    socket.on(event, on);
  });
}

/** Emit with an ack callback and resolve with the ack. */
export function emitAck<T = any>(socket: ClientSocket, event: string, data?: unknown, timeoutMs = 5000): Promise<Ack<T>> {
  return socket.timeout(timeoutMs).emitWithAck(event, data) as Promise<Ack<T>>;
}

/** Resolve if `event` does NOT arrive within ms; reject with the payload if it does. */
export function expectNone(socket: ClientSocket, event: string, ms = 300): Promise<void> {
  return new Promise((resolve, reject) => {
    const on = (d: unknown) => {
      clearTimeout(timer);
      reject(new Error(`unexpected ${event}: ${JSON.stringify(d)}`));
    };
    const timer = setTimeout(() => {
      socket.off(event, on);
      resolve();
    }, ms);
    socket.on(event, on);
  });
}

/** Collect every event a socket receives, for "exactly once" and "nothing else" checks. */
export function recorder(socket: ClientSocket) {
  const events: Array<{ event: string; data: unknown }> = [];
  socket.onAny((event: string, data: unknown) => events.push({ event, data }));
  return { events, of: (name: string) => events.filter((e) => e.event === name).map((e) => e.data) };
}
