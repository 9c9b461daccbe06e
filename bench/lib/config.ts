/** Sizes of every scenario; BENCH_QUICK=1 shrinks them to a ~1 minute smoke run. Each can be overridden by env. */
export const QUICK = process.env.BENCH_QUICK === "1";
const num = (name: string, full: number, quick: number) => Number(process.env[name] ?? (QUICK ? quick : full));
const list = (name: string, full: number[], quick: number[]) => (process.env[name] ? process.env[name]!.split(",").map(Number) : QUICK ? quick : full);

/** How long to wait for a quiet machine before starting a side (the box is shared). */
export const QUIET_MAX_MS = Number(process.env.BENCH_QUIET_MAX_MS ?? (QUICK ? 1_500 : 20_000));

export const cfg = {
  idle: {
    clients: num("BENCH_IDLE_CLIENTS", 20_000, 1_000),
    workers: num("BENCH_IDLE_WORKERS", 4, 2),
    concurrency: num("BENCH_IDLE_CONCURRENCY", 64, 32),
    settleMs: num("BENCH_IDLE_SETTLE_MS", 5000, 1000),
    tenantSize: num("BENCH_IDLE_TENANT_SIZE", 100, 100),
    /** Each side this many times, sides alternating; the table shows medians. */
    rounds: num("BENCH_IDLE_ROUNDS", 1, 1),
  },
  fanout: {
    clients: num("BENCH_FANOUT_CLIENTS", 1_000, 300),
    workers: num("BENCH_FANOUT_WORKERS", 2, 2),
    durationMs: num("BENCH_FANOUT_MS", 8_000, 1_500),
    warmupMs: num("BENCH_FANOUT_WARMUP_MS", 1_500, 500),
    before: num("BENCH_FANOUT_BEFORE", 1, 0) === 1,
    window: num("BENCH_FANOUT_WINDOW", 48, 48),
  },
  chat: {
    sockets: num("BENCH_CHAT_SOCKETS", 2_000, 400),
    roomSize: num("BENCH_CHAT_ROOM", 20, 20),
    rate: num("BENCH_CHAT_RATE", 1_000, 200),
    durationMs: num("BENCH_CHAT_MS", 15_000, 2_000),
    warmupMs: num("BENCH_CHAT_WARMUP_MS", 2_000, 500),
    drainMs: num("BENCH_CHAT_DRAIN_MS", 5_000, 3_000),
    workers: 2,
    /** Each side this many times, sides alternating; the table shows the run with the median p99. */
    rounds: num("BENCH_CHAT_ROUNDS", 3, 1),
  },
  throughput: {
    sockets: num("BENCH_TP_SOCKETS", 1_000, 100),
    roomSize: num("BENCH_TP_ROOM", 5, 5),
    rates: list("BENCH_TP_RATES", [250, 500, 750, 1_000, 1_250, 1_500, 2_000, 3_000, 4_000, 6_000], [250, 1_000]),
    stepMs: num("BENCH_TP_STEP_MS", 5_000, 1_500),
    warmupMs: QUICK ? 300 : 1_000,
    drainMs: QUICK ? 2_000 : 4_000,
    p99Ms: 50,
    workers: 2,
    /** Each side's steps this many times, sides alternating; the table shows the median best step. */
    rounds: num("BENCH_TP_ROUNDS", 3, 1),
  },
  coldstart: { runs: num("BENCH_COLD_RUNS", 3, 1) },
  presence: {
    users: num("BENCH_PRESENCE_USERS", 5_000, 300),
    spreadMs: num("BENCH_PRESENCE_SPREAD_MS", 10_000, 2_000),
    rounds: num("BENCH_PRESENCE_ROUNDS", 1, 1),
    settleTimeoutMs: num("BENCH_PRESENCE_SETTLE_MS", 60_000, 20_000),
    /** After every view settled: frames still counted (a batch on its way), then the server's idle CPU. */
    tailMs: 5_000,
    idleMs: 3_000,
    workers: 2,
  },
  growth: {
    sizes: list("BENCH_GROWTH_SIZES", [500, 1_000, 2_000, 4_000], [100, 200]),
    perSocketRate: 0.5,
    roomSize: 20,
    durationMs: num("BENCH_GROWTH_MS", 10_000, 1_500),
    warmupMs: QUICK ? 300 : 1_500,
    drainMs: QUICK ? 2_000 : 4_000,
    workers: 2,
  },
};
