/**
 * Scenario 7: a tenant's reconnect storm (issue 21). `users` users of one tenant connect within
 * `spreadMs` (a gateway restart), each fetching `presence:list` and following presence; before:
 * per-user `user:online` (what seed clients get), after: `presence:batch` (PRESENCE_BATCH_MS).
 * Time to settle (every client's view holds the whole tenant) after the last connect, presence
 * frames sent, server and generator CPU, and the server's CPU once settled. The two modes alternate
 * over `rounds`, each on a fresh platform process; medians.
 */
import { cfg } from "../lib/config.ts";
import { inRoundOrder, type Ctx } from "../lib/context.ts";
import { cpuSeconds, sleep } from "../lib/proc.ts";
import { SECRET, startSide } from "../lib/servers.ts";
import { closeWorkers, spawnWorkers, split } from "../lib/workers.ts";
import { newTenant } from "../lib/chat.ts";
import { median } from "../lib/stats.ts";

type Mode = "user" | "batch";
interface Round {
  mode: Mode;
  connected: number;
  settled: number;
  /** Sockets the server closed during the storm. */
  dropped: number;
  byEvent: Record<string, number>;
  settleS: number;
  frames: number;
  framesPerUser: number;
  mb: number;
  serverCpuS: number;
  generatorCpuS: number;
  idleCpuPct: number;
  stormS: number;
}

async function storm(ctx: Ctx, mode: Mode): Promise<Round> {
  const c = cfg.presence;
  const side = await startSide("platform-embedded");
  const workers = await spawnWorkers(c.workers);
  try {
    await sleep(1000);
    const tenant = newTenant("presence");
    const clients = Array.from({ length: c.users }, (_, i) => ({ sub: `u${i}`, tenant }));
    const genPids = workers.map((w) => w.proc.pid);
    const gen0 = genPids.reduce((a, p) => a + cpuSeconds(p), 0);
    const srv0 = cpuSeconds(side.pid);
    const res = await Promise.all(
      split(clients, workers.length).map((part, i) =>
        workers[i]!.call(
          "presence",
          { url: side.url, clients: part, secret: SECRET, mode, users: c.users, spreadMs: c.spreadMs, settleTimeoutMs: c.settleTimeoutMs, tailMs: c.tailMs },
          c.spreadMs + c.settleTimeoutMs + c.tailMs + 30_000,
        ),
      ),
    );
    const srv1 = cpuSeconds(side.pid);
    const gen1 = genPids.reduce((a, p) => a + cpuSeconds(p), 0);
    // Back to idle? The server's CPU over the next seconds, nothing connecting.
    await sleep(c.idleMs);
    const idleCpuPct = (100 * (cpuSeconds(side.pid) - srv1)) / (c.idleMs / 1000);
    const t0 = Math.min(...res.map((r) => r.t0 as number));
    const lastConnect = Math.max(...res.map((r) => r.lastConnectAt as number));
    const settledAt = Math.max(...res.map((r) => r.settledAt as number));
    const sum = (k: string) => res.reduce((a, r) => a + (r[k] as number), 0);
    const round: Round = {
      mode,
      connected: sum("connected"),
      settled: sum("settled"),
      dropped: sum("dropped"),
      byEvent: res.reduce(
        (a, r) => {
          for (const [k, v] of Object.entries(r.byEvent as Record<string, number>)) a[k] = (a[k] ?? 0) + v;
          return a;
        },
        {} as Record<string, number>,
      ),
      // Not every view right by the deadline: no settle time (the row says how many were).
      settleS: sum("settled") === c.users ? Math.max(0, settledAt - lastConnect) / 1000 : Number.NaN,
      stormS: (lastConnect - t0) / 1000,
      frames: sum("frames"),
      framesPerUser: sum("frames") / c.users,
      mb: sum("bytes") / 2 ** 20,
      serverCpuS: srv1 - srv0,
      generatorCpuS: gen1 - gen0,
      idleCpuPct,
    };
    const errors = res.flatMap((r) => r.errors as string[]).slice(0, 3);
    ctx.log(
      `  ${mode}: ${round.connected}/${c.users} connected in ${round.stormS.toFixed(1)} s, ${round.settled} views correct ${round.settleS.toFixed(1)} s after the last connect; ` +
        `${round.dropped} dropped by the server; ${round.frames} presence frames (${round.framesPerUser.toFixed(1)}/user, ${round.mb.toFixed(0)} MB, ${JSON.stringify(round.byEvent)}); CPU server ${round.serverCpuS.toFixed(1)} s, generator ${round.generatorCpuS.toFixed(1)} s; ` +
        `server idle after ${round.idleCpuPct.toFixed(0)}%${errors.length ? `; errors: ${errors.join(" | ")}` : ""}`,
    );
    return round;
  } finally {
    await closeWorkers(workers);
    await side.stop();
  }
}

export async function presence(ctx: Ctx) {
  const c = cfg.presence;
  ctx.log(`presence: ${c.users} users of one tenant connecting within ${c.spreadMs / 1000} s, ${c.rounds} round(s) per mode, ${c.workers} workers`);
  const rounds: Round[] = [];
  // Alternate the modes so that foreign load on the box falls on both.
  for (let r = 0; r < c.rounds; r++) for (const mode of inRoundOrder<Mode>(["user", "batch"], r)) rounds.push(await storm(ctx, mode));
  ctx.raw.presence = rounds;
  const med = (mode: Mode, k: keyof Round) => median(rounds.filter((x) => x.mode === mode).map((x) => x[k] as number));
  const row = (metric: string, k: keyof Round, digits: number, target?: { text: string; ok: (after: number) => boolean }) => {
    const before = med("user", k);
    const after = med("batch", k);
    ctx.rows.push(
      { scenario: "7 presence", metric: `${metric}, per-user events (before)`, platformEmbedded: before, digits },
      {
        scenario: "7 presence",
        metric: `${metric}, presence:batch (after)`,
        platformEmbedded: after,
        digits,
        ratio: after / before,
        ratioOf: "after ÷ before",
        ...(target ? { target: target.text, status: target.ok(after) ? "met" : "missed" } : {}),
      },
    );
  };
  row(`clients whose view was right within ${c.settleTimeoutMs / 1000} s (of ${c.users})`, "settled", 0, { text: `all ${c.users}`, ok: (v) => v === c.users });
  row("every view right, s after the last connect", "settleS", 1, { text: "≤ 15 s", ok: (v) => v <= 15 });
  row("presence frames per user", "framesPerUser", 1, { text: "≤ 5", ok: (v) => v <= 5 });
  row("presence MB received by all clients", "mb", 0);
  row("server CPU during the storm, s", "serverCpuS", 1);
  row("generator CPU, s", "generatorCpuS", 1);
  row(`server CPU in the ${c.idleMs / 1000} s after, % of a core`, "idleCpuPct", 0);
}
