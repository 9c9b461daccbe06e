/** Shared chat load (scenarios 3, 4, 6): rooms through REST, sockets joined with join_room, message:send load. */
import postgres from "postgres";
import { mintToken } from "@rt/auth";
import { cpuMeter, pidsByComm } from "./proc.ts";
import { DATABASE_URL, SECRET, type Side } from "./servers.ts";
import { percentile } from "./stats.ts";
import { split, type Worker } from "./workers.ts";

export interface ChatRoom {
  roomId: number;
  tenant: string;
  subs: string[];
}

export interface ChatSetup {
  side: Side;
  /** Tenants are `${tenant}-<n>`, TENANT_SIZE users each. */
  tenant: string;
  rooms: ChatRoom[];
  perWorker: ChatRoom[][];
  connected: number;
  connectFailed: number;
  joinFailed: number;
}

export interface ChatResult {
  rate: number;
  sockets: number;
  sent: number;
  acked: number;
  ackErrors: Record<string, number>;
  /** p99 of emit -> refusal ack, ms (0 when none was refused), and refusals without a retryAfterMs. */
  refusedP99: number;
  refusedWithoutRetry: number;
  noAck: number;
  delivered: number;
  expected: number;
  incomplete: number;
  stored?: number;
  p50: number;
  p99: number;
  ackP50: number;
  ackP99: number;
  samples: number;
  achievedRate: number;
  /** % of one core per process group over the run (`generator`: the load workers). */
  cpu: Record<string, number>;
  /** The window `cpu` was measured over, ms (the load and its drain). */
  cpuWindowMs: number;
  /** [ms since start, latency ms] of messages slower than 50 ms (a sample). */
  slow: [number, number][];
  /** The generator workers' event-loop stalls over 100 ms: [ms since start, ms late], all workers. */
  generatorStalls: [number, number][];
}

let tenantSeq = 0;
export const newTenant = (label: string) => `bench-${Date.now().toString(36)}-${label}-${tenantSeq++}`;

async function createRoom(side: Side, tenant: string, subs: string[]): Promise<number> {
  const token = await mintToken({ sub: subs[0]!, tenantId: tenant, name: subs[0]! }, { secret: SECRET });
  for (let attempt = 0; attempt < 3; attempt++) {
    const res = await fetch(`${side.url}/api/chat/rooms`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: `bench-${subs[0]}`, memberIds: subs.slice(1) }),
    });
    if (res.status === 201) return ((await res.json()) as { id: number }).id;
    if (attempt === 2) throw new Error(`create room: ${res.status} ${await res.text()}`);
  }
  throw new Error("unreachable");
}

/**
 * Users per tenant. The platform announces every connect to the user's whole tenant (presence),
 * so one tenant of thousands would measure that storm during setup; rooms never span tenants.
 */
export const TENANT_SIZE = Number(process.env.BENCH_TENANT_SIZE ?? 100);

/** sockets/roomSize rooms; room r is held by worker r % workers, so all members of a room share a process. */
export async function setupChat(side: Side, workers: Worker[], sockets: number, roomSize: number, label: string): Promise<ChatSetup> {
  const tenant = newTenant(label);
  const nRooms = Math.max(1, Math.floor(sockets / roomSize));
  const roomsPerTenant = Math.max(1, Math.floor(TENANT_SIZE / roomSize));
  const specs = Array.from({ length: nRooms }, (_, r) => ({
    tenant: `${tenant}-${Math.floor(r / roomsPerTenant)}`,
    subs: Array.from({ length: roomSize }, (_, i) => `u${r * roomSize + i}`),
  }));
  const rooms: ChatRoom[] = [];
  for (const chunk of split(specs, Math.ceil(nRooms / 10))) {
    const ids = await Promise.all(chunk.map((r) => createRoom(side, r.tenant, r.subs)));
    chunk.forEach((r, i) => void rooms.push({ roomId: ids[i]!, tenant: r.tenant, subs: r.subs }));
  }
  const perWorker: ChatRoom[][] = workers.map(() => []);
  rooms.forEach((r, i) => void perWorker[i % workers.length]!.push(r));
  const conn = await Promise.all(
    workers.map((w, i) =>
      w.call(
        "connect",
        {
          url: side.url,
          clients: perWorker[i]!.flatMap((r) => r.subs.map((sub) => ({ sub, tenant: r.tenant }))),
          secret: SECRET,
          concurrency: 50,
          timeoutMs: 60_000,
        },
        90_000,
      ),
    ),
  );
  const joined = await Promise.all(workers.map((w, i) => w.call("join", { rooms: perWorker[i], timeoutMs: 15_000 }, 60_000)));
  return {
    side,
    tenant,
    rooms,
    perWorker,
    connected: conn.reduce((a, c) => a + c.ok, 0),
    connectFailed: conn.reduce((a, c) => a + c.failed, 0),
    joinFailed: joined.reduce((a, c) => a + c.failed, 0),
  };
}

export function cpuGroups(side: Side): Record<string, () => number[]> {
  const g: Record<string, () => number[]> = { server: () => [side.pid] };
  if (side.kind === "platform-real") g.nats = () => pidsByComm("nats-server");
  if (side.kind !== "platform-embedded") g.postgres = () => pidsByComm("postgres");
  return g;
}

export async function runChat(setup: ChatSetup, workers: Worker[], o: { rate: number; durationMs: number; warmupMs: number; drainMs: number }): Promise<ChatResult> {
  const total = setup.rooms.length;
  const meter = cpuMeter({ ...cpuGroups(setup.side), generator: () => workers.map((w) => w.proc.pid) });
  const t0 = performance.now();
  const results = await Promise.all(
    workers.map((w, i) =>
      w.call(
        "chat",
        { rooms: setup.perWorker[i], rate: (o.rate * setup.perWorker[i]!.length) / total, durationMs: o.durationMs, warmupMs: o.warmupMs, drainMs: o.drainMs },
        o.durationMs + o.drainMs + 30_000,
      ),
    ),
  );
  const cpu = meter();
  const cpuWindowMs = performance.now() - t0;
  const lat = results.flatMap((r) => r.latencies as number[]);
  const ackLat = results.flatMap((r) => r.ackLatencies as number[]);
  const ackErrors: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.ackErrors as Record<string, number>)) ackErrors[k] = (ackErrors[k] ?? 0) + v;
  const sum = (k: string) => results.reduce((a, r) => a + (r[k] as number), 0);
  return {
    rate: o.rate,
    sockets: setup.connected,
    sent: sum("sent"),
    acked: sum("acked"),
    ackErrors,
    refusedP99:
      percentile(
        results.flatMap((r) => r.refusedLatencies as number[]),
        99,
      ) || 0,
    refusedWithoutRetry: sum("refusedWithoutRetry"),
    noAck: sum("noAck"),
    delivered: sum("delivered"),
    expected: sum("expected"),
    incomplete: sum("incomplete"),
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    ackP50: percentile(ackLat, 50),
    ackP99: percentile(ackLat, 99),
    samples: lat.length,
    achievedRate: sum("sent") / (Math.max(...results.map((r) => r.sendMs as number)) / 1000),
    cpu,
    cpuWindowMs,
    slow: results.flatMap((r) => r.slow as [number, number][]).sort((a, b) => a[0] - b[0]),
    generatorStalls: results.flatMap((r) => (r.stalls ?? []) as [number, number][]).sort((a, b) => a[0] - b[0]),
  };
}

/** Messages stored for a tenant: SQL for Postgres sides, REST history pages for the embedded platform. */
export async function storedCount(setup: ChatSetup): Promise<number | undefined> {
  const { side, tenant } = setup;
  if (side.kind === "platform-embedded") {
    const tokens = new Map<string, string>();
    let n = 0;
    for (const r of setup.rooms) {
      const sub = r.subs[0]!;
      if (!tokens.has(sub)) tokens.set(sub, await mintToken({ sub, tenantId: r.tenant }, { secret: SECRET }));
      let before: number | null | undefined;
      for (let page = 0; page < 1000; page++) {
        const q = before ? `?limit=100&before=${before}` : "?limit=100";
        const res = await fetch(`${side.url}/api/chat/rooms/${r.roomId}/messages${q}`, { headers: { authorization: `Bearer ${tokens.get(sub)}` } });
        if (!res.ok) return undefined;
        const body = (await res.json()) as { messages: unknown[]; nextBefore: number | null };
        n += body.messages.length;
        before = body.nextBefore;
        if (!before) break;
      }
    }
    return n;
  }
  const sql = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    const table = sql(side.isPlatform ? "chat.messages" : "bench_baseline.messages");
    const [row] = await sql`select count(*)::int as n from ${table} where tenant_id like ${`${tenant}-%`}`;
    return row!.n as number;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/**
 * Remove what the harness stored in the shared Postgres (its own tenants only), before a run and
 * after it, and vacuum the tables it deleted from. This machine's Postgres runs with autovacuum off:
 * without the vacuum every run's deleted rooms stayed as dead rows (683,000 in chat.messages and
 * 241,000 in the baseline's after a day of runs), and the indexes the next run inserted into were
 * full of them.
 */
export async function cleanupDatabase() {
  const sql = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await sql`delete from chat.rooms where tenant_id like 'bench-%'`.catch(() => {});
    await sql`delete from bench_baseline.rooms where tenant_id like 'bench-%'`.catch(() => {});
    for (const schema of ["chat", "bench_baseline"]) await sql.unsafe(`vacuum (analyze) ${schema}.messages, ${schema}.members, ${schema}.rooms`).catch(() => {});
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Sends not acknowledged plus copies not delivered: the "missing" of scenarios 4 and 6. */
export const missingOf = (r: ChatResult) => r.sent - r.acked + (r.expected - r.delivered);
/** "missing N", split into refusals (by code) and copies not delivered when N is not 0. */
export const missingNote = (r: ChatResult) => {
  const n = missingOf(r);
  return n ? `missing ${n} (unacked ${r.sent - r.acked} ${JSON.stringify(r.ackErrors)}, undelivered ${r.expected - r.delivered})` : "missing 0";
};

/** ", generator stalled N× (max M ms)" when a load worker's event loop stalled over 100 ms, else "". */
export const stallNote = (r: ChatResult) =>
  r.generatorStalls.length ? `, generator stalled ${r.generatorStalls.length}× (max ${Math.max(...r.generatorStalls.map(([, ms]) => ms))} ms)` : "";
