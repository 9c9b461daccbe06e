import { io as ioClient, type Socket as ClientSocket, type ManagerOptions, type SocketOptions } from "socket.io-client";
import { createMemoryBus, createNatsBus } from "@rt/bus";
import { createPglite, createPostgres } from "@rt/db";
import { evtStream, type Ack } from "@rt/contracts";
import { mintToken, type MintOptions } from "@rt/auth";
import { createLogger, loadConfig, type PlatformConfig } from "@rt/service-kit";
import { startPlatform as startAll, type Platform } from "@rt/app-all-in-one";
import { TEST_DATABASE_URL, TEST_NATS_URL, testMode, testNamespace, uniqueTenant, type TestMode } from "./mode.ts";

export type { ClientSocket };

export const TEST_API_KEY = "test-publish-key-0123456789";
export const TEST_WEBHOOK_SECRET = "test-webhook-secret-0123456789";

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
}

export interface TestPlatform {
  url: string;
  mode: TestMode;
  /** A fresh tenant for this platform; tokens default to it. */
  tenant: string;
  config: PlatformConfig;
  platform: Platform;
  token(o: Partial<MintOptions> & { sub: string }): Promise<string>;
  connect(o: ConnectOptions): Promise<ClientSocket>;
  /** fetch on the gateway; `token` adds a bearer header, JSON bodies are encoded. */
  fetch(path: string, init?: RequestInit & { token?: string; json?: unknown }): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * The whole platform in this process on the test mode's bus and database, on a free port, plus a
 * socket.io-client factory whose sockets are closed by stop().
 */
export async function startPlatform(opts: { mode?: TestMode; env?: Record<string, string>; namespace?: string } = {}): Promise<TestPlatform> {
  const mode = opts.mode ?? testMode();
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "silent",
    PUBLISH_API_KEY: TEST_API_KEY,
    PAYMENTS_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    ...opts.env,
  });
  const log = createLogger({ name: "test-platform", level: config.LOG_LEVEL });
  const bus =
    mode === "nats"
      ? await createNatsBus({ url: TEST_NATS_URL, name: "test-platform", stream: evtStream, namespace: opts.namespace ?? testNamespace() })
      : createMemoryBus();
  const db = mode === "nats" ? createPostgres(TEST_DATABASE_URL) : await createPglite("memory");
  const platform = await startAll({ config, log, port: 0, bus, db });
  const tenant = uniqueTenant();
  const sockets = new Set<ClientSocket>();
  const auth = { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
  const token = (o: Partial<MintOptions> & { sub: string }) => mintToken({ tenantId: tenant, ...o }, auth);

  return {
    url: platform.url,
    mode,
    tenant,
    config,
    platform,
    token,
    async connect(o) {
      const t = o.anonymous ? undefined : await token(o);
      const s = ioClient(platform.url, {
        path: o.path ?? "/socket.io/",
        transports: o.transports ?? ["websocket"],
        auth: { ...(t ? { token: t } : {}), ...o.auth },
        reconnection: false,
        forceNew: true,
        ...o.options,
      });
      sockets.add(s);
      await new Promise<void>((resolve, reject) => {
        s.once("connect", () => resolve());
        s.once("connect_error", (err) => (o.expectError ? resolve() : reject(err)));
      });
      return s;
    },
    fetch(path, init = {}) {
      const headers = new Headers(init.headers);
      if (init.token) headers.set("authorization", `Bearer ${init.token}`);
      let body = init.body;
      if (init.json !== undefined) {
        headers.set("content-type", "application/json");
        body = JSON.stringify(init.json);
      }
      return fetch(platform.url + path, { ...init, headers, body });
    },
    async stop() {
      for (const s of sockets) s.close();
      await platform.stop();
    },
  };
}

/** The next `event` on a socket (optionally the first matching `filter`), or a timeout error. */
export function waitFor<T = any>(socket: ClientSocket, event: string, opts: { timeoutMs?: number; filter?: (d: T) => boolean } = {}): Promise<T> {
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
