/**
 * Shared pieces of the fault tests: a cluster per file, tokens, sockets that move to another
 * gateway when theirs goes away, the machine's NATS and Postgres stopped and started, Postgres
 * queries, bounded waits, and the figures each test prints.
 */
import { afterAll, afterEach, beforeAll } from "bun:test";
import { io as ioClient, type Socket } from "socket.io-client";
import postgres from "postgres";
import { mintToken } from "@rt/auth";
import { DEV_JWT_SECRET } from "@rt/service-kit";
import { requestInit, startCluster, TEST_API_KEY, TEST_DATABASE_URL, uniqueTenant, type Cluster } from "@rt/testkit";

export type { Cluster, Socket };
export { TEST_API_KEY };

/** Limits out of the way: these tests send faster than a person. */
export const FAULT_ENV = { RATE_LIMIT_MESSAGE: "100000", RATE_LIMIT_TYPING: "100000", RATE_LIMIT_DEFAULT: "100000", RATE_LIMIT_HANDSHAKE: "1000000" };

export function clusterOf(opts: { gateways?: number; replicas?: number } = {}): Promise<Cluster> {
  return startCluster({ gateways: opts.gateways ?? 2, replicas: opts.replicas ?? 2, env: FAULT_ENV, readyTimeoutMs: 90_000 });
}

export const newTenant = () => uniqueTenant("fault");

export const tokenOf = (tenantId: string, sub: string, roles: string[] = []) => mintToken({ sub, tenantId, roles, name: sub }, { secret: DEV_JWT_SECRET });

/** A promise that fails after `ms` with a message naming what was awaited. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

/** Poll `check` until it returns a truthy value or `ms` pass (then throw). */
export async function until<T>(check: () => T | Promise<T>, ms: number, what: string, everyMs = 100): Promise<NonNullable<T> | T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await Promise.resolve()
      .then(check)
      .catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await Bun.sleep(everyMs);
  }
}

/** Wait for one event on a socket, bounded. */
export function next<T = any>(s: Socket, event: string, ms = 5000, filter?: (d: T) => boolean): Promise<T> {
  return within(
    new Promise<T>((resolve) => {
      const on = (d: T) => {
        if (filter && !filter(d)) return;
        s.off(event, on);
        resolve(d);
      };
      s.on(event, on);
    }),
    ms,
    `${event}`,
  );
}

/**
 * A socket on `urls[first]` that, when its connection drops, reconnects to the next gateway in
 * `urls` (a client given every gateway's address), keeping Socket.IO's session id and offset so a
 * gateway can recover it. Also after a server disconnect, which Socket.IO would not retry itself.
 */
export async function failoverSocket(urls: string[], token: string, first = 0, opts: { connectMs?: number } = {}): Promise<Socket> {
  let at = first;
  const s = ioClient(urls[at]!, {
    auth: { token },
    transports: ["websocket"],
    forceNew: true,
    reconnectionDelay: 200,
    reconnectionDelayMax: 1000,
    randomizationFactor: 0.2,
  });
  const moveOn = () => {
    at = (at + 1) % urls.length;
    (s.io as unknown as { uri: string }).uri = urls[at]!;
  };
  s.io.on("reconnect_attempt", moveOn);
  s.on("disconnect", (reason) => {
    if (reason === "io server disconnect") {
      moveOn();
      s.connect();
    }
  });
  await within(
    new Promise<void>((resolve, reject) => {
      s.once("connect", () => resolve());
      s.once("connect_error", (e) => reject(e));
    }),
    opts.connectMs ?? 10_000,
    `connect to ${urls[at]}`,
  );
  return s;
}

/** The gateway URL a socket is connected to right now. */
export const gatewayOf = (s: Socket) => (s.io as unknown as { uri: string }).uri;

/** Emit with an ack, bounded; a timeout becomes `{ ok: false, error: { code: "TIMEOUT" } }`. */
export async function ack(s: Socket, event: string, data?: unknown, ms = 8000): Promise<any> {
  try {
    return await s.timeout(ms).emitWithAck(event, data);
  } catch {
    return { ok: false, error: { code: "TIMEOUT", message: `no ack in ${ms} ms` } };
  }
}

/** fetch with a bound; network failures become status 0. */
export async function http(url: string, init: RequestInit & { token?: string; json?: unknown } = {}, ms = 8000): Promise<{ status: number; body: any; ms: number }> {
  const t0 = performance.now();
  try {
    const r = await fetch(url, { ...requestInit(init), signal: AbortSignal.timeout(ms) });
    const text = await r.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: r.status, body: parsed, ms: performance.now() - t0 };
  } catch {
    return { status: 0, body: null, ms: performance.now() - t0 };
  }
}

/** Publish an envelope through a gateway's publish API; true when accepted (202). */
export async function publish(gatewayUrl: string, envelope: unknown): Promise<boolean> {
  const r = await http(`${gatewayUrl}/api/publish`, { method: "POST", headers: { "x-api-key": TEST_API_KEY }, json: envelope }, 5000);
  return r.status === 202;
}

/** A chat room of `members` (creator first) created over REST. */
export async function createRoom(gatewayUrl: string, tenant: string, members: string[]): Promise<number> {
  const token = await tokenOf(tenant, members[0]!);
  const r = await http(`${gatewayUrl}/api/chat/rooms`, { method: "POST", token, json: { name: `room-${tenant}`, memberIds: members.slice(1) } });
  if (r.status !== 201) throw new Error(`room not created: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id as number;
}

/** Every event a socket receives, in order. */
export function record(s: Socket) {
  const events: Array<{ event: string; data: any }> = [];
  s.onAny((event: string, data: any) => events.push({ event, data }));
  return { events, of: (name: string) => events.filter((e) => e.event === name).map((e) => e.data) };
}

/** How many times each key occurs: duplicates are keys seen more than once. */
export function tally<K>(keys: K[]) {
  const counts = new Map<K, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return { counts, unique: counts.size, duplicated: [...counts.values()].reduce((n, c) => n + (c > 1 ? c - 1 : 0), 0) };
}

/** One line of figures, printed as the test runs. */
export function figures(name: string, f: Record<string, number | string | boolean>) {
  console.log(
    `  [figures] ${name}: ${Object.entries(f)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ")}`,
  );
}

// --- the machine's Postgres --------------------------------------------------------------------

let pg: postgres.Sql | undefined;
/** A query on the test database (one small pool for the whole file). */
export function sql(): postgres.Sql {
  return (pg ??= postgres(TEST_DATABASE_URL, { max: 2, onnotice: () => {}, connect_timeout: 5, idle_timeout: 5 }));
}

export async function closeSql() {
  await pg?.end({ timeout: 2 });
  pg = undefined;
}

/** Run a command, bounded; its output on failure. */
async function run(cmd: string[], ms = 30_000): Promise<{ code: number; out: string }> {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const code = await within(p.exited, ms, cmd.join(" ")).catch((e) => {
    p.kill("SIGKILL");
    throw e;
  });
  const out = (await new Response(p.stdout).text()) + (await new Response(p.stderr).text());
  return { code, out };
}

export async function portOpen(port: number): Promise<boolean> {
  try {
    const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {}, open() {}, error() {} } });
    s.end();
    return true;
  } catch {
    return false;
  }
}

const NATS_START = [
  "start-stop-daemon",
  "--start",
  "--oknodo",
  "--background",
  "--exec",
  "/usr/sbin/nats-server",
  "--",
  "-a",
  "127.0.0.1",
  "-p",
  "4222",
  "-js",
  "-sd",
  "/var/lib/nats-server",
  "-l",
  "/var/log/nats-server.log",
];

/** Stop the machine's nats-server and wait until its port is closed. */
export async function stopNats() {
  const r = await run(["start-stop-daemon", "--stop", "--oknodo", "--retry", "10", "--exec", "/usr/sbin/nats-server"]);
  if (r.code !== 0) throw new Error(`nats-server did not stop: ${r.out}`);
  await until(async () => !(await portOpen(4222)), 10_000, "NATS port closed");
}

/** Start it as README/.ci/run do (JetStream, data in /var/lib/nats-server) and wait for its port. */
export async function startNats() {
  const r = await run(NATS_START);
  if (r.code !== 0) throw new Error(`nats-server did not start: ${r.out}`);
  await until(() => portOpen(4222), 20_000, "NATS port open");
}

const pgVersion = async () => (await run(["ls", "/etc/postgresql"])).out.trim().split(/\s+/).sort().at(-1)!;

export async function pgCtl(action: "start" | "stop" | "restart") {
  const args = ["pg_ctlcluster", "--skip-systemctl-redirect", await pgVersion(), "main", action];
  if (action !== "start") args.push("--", "-m", "fast");
  const r = await run(args, 60_000);
  if (r.code !== 0) throw new Error(`pg_ctlcluster ${action} failed: ${r.out}`);
  await until(async () => (await portOpen(5432)) === (action !== "stop"), 30_000, `Postgres port after ${action}`);
}

/** Leave NATS and Postgres running whatever a test did (afterAll of the restart tests). */
export async function ensureInfraUp() {
  if (!(await portOpen(4222))) await startNats().catch((e) => console.error(String(e)));
  if (!(await portOpen(5432))) await pgCtl("start").catch((e) => console.error(String(e)));
}

// --- steady traffic ---------------------------------------------------------------------------

export interface Traffic {
  /** Every attempt: when, which message, and the outcome ("OK" or the error code). */
  attempts: Array<{ t: number; id: string; code: string }>;
  acked: Map<string, number>;
  /** Stop sending new messages; resolves when those in flight are acked or given up (bounded). */
  stop(): Promise<{ sent: number; failed: string[] }>;
}

/**
 * A steady stream of `message:send` with acks (one every `everyMs`, a few in flight), each
 * retried with its clientMsgId on UNAVAILABLE / no ack, as a client would, for up to `retryMs`.
 */
export function traffic(s: Socket, roomId: number, prefix: string, o: { everyMs?: number; retryMs?: number } = {}): Traffic {
  const attempts: Traffic["attempts"] = [];
  const acked = new Map<string, number>();
  const failed: string[] = [];
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  let running = true;
  const one = async (id: string) => {
    const deadline = Date.now() + (o.retryMs ?? 60_000);
    for (;;) {
      const r = await ack(s, "message:send", { roomId, content: id, clientMsgId: id }, 6000);
      const code = r.ok ? "OK" : (r.error?.code ?? "?");
      attempts.push({ t: Date.now(), id, code });
      if (r.ok) return void acked.set(id, Date.now());
      if ((code !== "UNAVAILABLE" && code !== "TIMEOUT") || Date.now() > deadline) return void failed.push(`${id}:${code}`);
      await Bun.sleep(300);
    }
  };
  const loop = (async () => {
    while (running) {
      const id = `${prefix}-${sent++}`;
      const p = one(id).finally(() => inFlight.delete(p));
      inFlight.add(p);
      // At most a few unanswered at once: during an outage the stream slows down rather than piling up.
      while (inFlight.size >= 4 && running) await Promise.race([...inFlight, Bun.sleep(500)]);
      await Bun.sleep(o.everyMs ?? 100);
    }
  })();
  return {
    attempts,
    acked,
    async stop() {
      running = false;
      await loop;
      await within(Promise.all([...inFlight]), (o.retryMs ?? 60_000) + 10_000, "traffic in flight");
      return { sent, failed };
    },
  };
}

/** Stored rows per clientMsgId of a chat room. */
export async function storedIn(tenant: string, roomId: number): Promise<Map<string, number>> {
  const rows = await sql()<{ id: string; n: number }[]>`
    select client_msg_id as id, count(*)::int as n from chat.messages
    where tenant_id = ${tenant} and room_id = ${roomId} group by client_msg_id`;
  return new Map(rows.map((r) => [r.id, r.n]));
}

/** Whatever a test did, every process of the cluster is running again (afterEach / finally). */
export async function allUp(cluster: Cluster) {
  await Promise.all(cluster.processes.filter((p) => !p.alive).map((p) => p.restart()));
}

/**
 * One cluster per test file: started before the first test, every process brought back up after
 * each test (a test that failed half-way leaves nothing down for the next), and at the end the
 * file's sockets closed, `after` run, the cluster stopped.
 */
export function useCluster(o: { before?: () => Promise<void>; after?: () => Promise<void>; restoreAfterEach?: boolean; afterAllMs?: number; gateways?: number } = {}) {
  const env = { cluster: undefined as unknown as Cluster, open: [] as Socket[] };
  beforeAll(async () => {
    await o.before?.();
    env.cluster = await clusterOf({ gateways: o.gateways });
  }, 120_000);
  if (o.restoreAfterEach !== false) afterEach(() => allUp(env.cluster), 60_000);
  afterAll(async () => {
    for (const s of env.open) s.close();
    await o.after?.();
    await env.cluster?.stop();
  }, o.afterAllMs ?? 60_000);
  return env;
}
