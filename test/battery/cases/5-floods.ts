/**
 * Case 5, floods: 200 normal clients chat in rooms of 10 (under the message rate limit) through
 * alternating quiet and flood windows. During a flood window one socket sends 5,000 events/s and
 * another sends 10 MB frames (WebSocket and polling), each from its own process (paused with
 * SIGSTOP in the quiet windows). Expected: the flooders are rate-limited or disconnected, the
 * normal clients' p99 delivery latency (median over windows) stays within 2x of the quiet
 * windows', and the gateway's memory returns to its baseline.
 * Knobs: BATTERY_FLOOD_CLIENTS (200), BATTERY_FLOOD_SECONDS (8 per window), BATTERY_FLOOD_ROUNDS
 * (3), BATTERY_FLOOD_RATE (5000), BATTERY_FLOOD_FRAME_MB (10).
 */
import { io as ioClient, type Socket } from "socket.io-client";
import { figure, mb, note, percentile, pool, round, runCase, size, sleep } from "../lib/common.ts";
import { ROOT, rssSampler, spawnPlatform } from "../lib/platform.ts";

const CLIENTS = size("FLOOD_CLIENTS", 200, 100);
/** Seconds of one quiet or flood window; ROUNDS quiet+flood pairs, then a last quiet window. */
const PHASE_S = size("FLOOD_SECONDS", 8, 6);
const ROUNDS = size("FLOOD_ROUNDS", 3, 2);
const RATE = size("FLOOD_RATE", 5000, 5000);
const FRAME_MB = size("FLOOD_FRAME_MB", 10, 10);
const ROOM_SIZE = 10;
/** Latency floor for the comparison: below this a 2x rule measures timer noise, not the gateway. */
const FLOOR_MS = 15;

type Phase = "warmup" | "quiet" | "flood" | "quiet2" | "done";

await runCase("5-floods", 300, async (c) => {
  // Default rate limits: message 10/min, typing 30/min, others 120/min per user.
  const p = await spawnPlatform({ NODE_ENV: "production" });
  const clients: Socket[] = [];
  try {
    const tenant = "flood-t";
    const users = Array.from({ length: CLIENTS }, (_, i) => `chatter-${i}`);
    const tokens = await Promise.all(users.map((u) => p.token({ sub: u, tenantId: tenant })));
    const rooms: number[] = [];
    for (let r = 0; r * ROOM_SIZE < CLIENTS; r++) {
      const members = users.slice(r * ROOM_SIZE, (r + 1) * ROOM_SIZE);
      const res = await fetch(`${p.url}/api/chat/rooms`, {
        method: "POST",
        headers: { authorization: `Bearer ${tokens[r * ROOM_SIZE]}`, "content-type": "application/json" },
        body: JSON.stringify({ name: `room-${r}`, memberIds: members }),
      });
      rooms.push(((await res.json()) as { id: number }).id);
    }
    let phase: Phase = "warmup";
    const latency: Record<Phase, number[]> = { warmup: [], quiet: [], flood: [], quiet2: [], done: [] };
    /** Samples per window ("quiet#0", "flood#0", …, "quiet2#0"), for per-window p99s. */
    const windows = new Map<string, number[]>();
    let windowNo = 0;
    const ackCodes: Record<string, number> = {};
    await pool(users, 20, async (u, i) => {
      const s = ioClient(p.url, { transports: ["websocket"], auth: { token: tokens[i] }, forceNew: true, reconnection: false });
      await new Promise<void>((r, j) => (s.once("connect", () => r()), s.once("connect_error", j)));
      const ack = (await s.timeout(10_000).emitWithAck("join_room", { roomId: rooms[Math.floor(i / ROOM_SIZE)] })) as { ok: boolean };
      if (!ack.ok) throw new Error(`${u} could not join`);
      s.on("message:new", (m: { senderId: string; content: string }) => {
        if (m.senderId === u) return;
        const [ph, at, win] = m.content.split("|");
        const ms = Date.now() - Number(at);
        latency[ph as Phase]?.push(ms);
        const key = `${ph}#${win}`;
        windows.set(key, [...(windows.get(key) ?? []), ms]);
      });
      clients[i] = s;
    });
    note(`${CLIENTS} clients in ${rooms.length} rooms`);

    // Each client sends one message every ~8 s (7.5/min, under the 10/min limit), staggered.
    let chatting = true;
    const loops = clients.map(async (s, i) => {
      await sleep((i * 8000) / CLIENTS);
      while (chatting) {
        const ph = phase;
        const win = windowNo;
        const a = (await s
          .timeout(15_000)
          .emitWithAck("message:send", { roomId: rooms[Math.floor(i / ROOM_SIZE)], content: `${ph}|${Date.now()}|${win}` })
          .catch(() => ({ ok: false, error: { code: "NO_ACK" } }))) as { ok: boolean; error?: { code: string } };
        const code = a.ok ? "OK" : a.error!.code;
        ackCodes[code] = (ackCodes[code] ?? 0) + 1;
        await sleep(8000);
      }
    });

    // Alternate quiet and flood windows (flooders paused with SIGSTOP in between), so a noisy
    // neighbour on this shared machine weighs on both sides of the comparison alike.
    const floodToken = await p.token({ sub: "flooder", tenantId: tenant });
    const env = {
      ...process.env,
      FLOOD_WS_URL: p.wsUrl,
      FLOOD_HTTP_URL: p.url,
      FLOOD_TOKEN: floodToken,
      FLOOD_ROOM: String(rooms[0]),
      FLOOD_SECONDS: String(ROUNDS * PHASE_S * 3),
    };
    const spawnFlooder = (mode: string, extra: Record<string, string>) => {
      const proc = Bun.spawn(["bun", "run", `${ROOT}/test/battery/lib/flooder.ts`], { env: { ...env, FLOOD_MODE: mode, ...extra }, stdout: "pipe", stderr: "inherit" });
      // Read its report as it comes (the pipe must not fill while it runs).
      const out = new Response(proc.stdout).text();
      return { proc, out };
    };
    // BATTERY_FLOOD_RATE=0 / BATTERY_FLOOD_FRAME_MB=0 leave one flooder out (to see which one costs what).
    const flooders = [
      ...(RATE > 0 ? [{ name: "events", ...spawnFlooder("events", { FLOOD_RATE: String(RATE) }) }] : []),
      ...(FRAME_MB > 0 ? [{ name: "big", ...spawnFlooder("big", { FLOOD_FRAME_MB: String(FRAME_MB) }) }] : []),
    ];
    const signal = (sig: "SIGSTOP" | "SIGCONT" | "SIGTERM") => {
      for (const f of flooders) if (f.proc.exitCode === null) process.kill(f.proc.pid, sig);
    };
    await sleep(1500); // their connections are up
    signal("SIGSTOP");
    await sleep(2500);
    const cpu = { quiet: 0, flood: 0 };
    let rssBase = 0;
    const rss = rssSampler(p, 200);
    for (let r = 0; r < ROUNDS; r++) {
      windowNo = r;
      phase = "quiet";
      let t = p.cpuSeconds();
      await sleep(PHASE_S * 1000);
      cpu.quiet += p.cpuSeconds() - t;
      if (r === 0) rssBase = p.rssKb();
      phase = "flood";
      t = p.cpuSeconds();
      signal("SIGCONT");
      await sleep(PHASE_S * 1000);
      signal("SIGSTOP");
      cpu.flood += p.cpuSeconds() - t;
    }
    phase = "quiet2";
    await sleep(PHASE_S * 1000);
    signal("SIGCONT");
    signal("SIGTERM");
    const reports = await Promise.all(
      flooders.map(async (f) => {
        const text = await f.out;
        await f.proc.exited;
        const cpuS = Number(f.proc.resourceUsage()?.cpuTime.total ?? 0n) / 1e6;
        try {
          return [f.name, { ...(JSON.parse(text.trim().split("\n").pop() ?? "{}") as Record<string, any>), cpu: cpuS }] as const;
        } catch {
          return [f.name, { error: text.slice(0, 300), cpu: cpuS }] as const;
        }
      }),
    );
    const events: Record<string, any> = Object.fromEntries(reports).events ?? {};
    const big: Record<string, any> = Object.fromEntries(reports).big ?? {};
    rss.stop();
    const rssPeak = rss.peak();
    phase = "done";
    chatting = false;
    await Promise.race([Promise.all(loops), sleep(10_000)]);
    await sleep(2000);
    const rssEnd = p.rssKb();

    const q = percentile(latency.quiet, 99);
    const q2 = percentile(latency.quiet2, 99);
    const f = percentile(latency.flood, 99);
    // The verdict compares the median of the flood windows' p99 with the median of the quiet
    // windows' p99: one stall of this shared machine in a single window does not decide it.
    const median = (xs: number[]) => percentile(xs, 50);
    const p99Of = (prefix: string) => [...windows.entries()].filter(([k, v]) => k.startsWith(`${prefix}#`) && v.length >= 20).map(([, v]) => percentile(v, 99));
    const quietWins = [...p99Of("quiet"), ...p99Of("quiet2")];
    const floodWins = p99Of("flood");
    const reference = Math.max(median(quietWins), FLOOR_MS);
    const floodMedian = median(floodWins);
    figure(
      `flood clients=${CLIENTS} windows=${ROUNDS}x(${PHASE_S}s quiet+${PHASE_S}s flood) p99_quiet=${round(q, 0)}ms p99_flood=${round(f, 0)}ms p99_quiet2=${round(q2, 0)}ms window_p99s quiet=[${quietWins.map((x) => round(x, 0)).join(",")}] flood=[${floodWins.map((x) => round(x, 0)).join(",")}] median flood ${round(floodMedian, 0)}ms vs bound 2x${round(reference, 0)}=${round(2 * reference, 0)}ms p50_quiet=${round(percentile(latency.quiet, 50), 0)}ms p50_flood=${round(percentile(latency.flood, 50), 0)}ms deliveries=${latency.quiet.length}/${latency.flood.length}/${latency.quiet2.length}`,
    );
    figure(
      `flood events_flooder sent=${events.sent} (${events.rate}/s) rate_limited=${events.limited} other_errors=${events.otherErrors} closes=${events.closes}; big_flooder ws_frames=${big.wsFrames}x${big.mb}MB closed_by_server=${big.wsClosedByServer} polling_posts=${big.pollPosts} ${JSON.stringify(big.pollStatus)}`,
    );
    const pct = (sec: number) => `${Math.round((100 * sec) / (ROUNDS * PHASE_S))}%`;
    figure(
      `flood cpu platform quiet=${pct(cpu.quiet)} flood=${pct(cpu.flood)} of one core; flooders' own cpu events=${round(events.cpu ?? 0)}s big=${round(big.cpu ?? 0)}s over ${ROUNDS}x${PHASE_S}s of flood`,
    );
    figure(`flood rss base=${mb(rssBase)} peak=${mb(rssPeak)} end=${mb(rssEnd)} MB normal_acks=${JSON.stringify(ackCodes)}`);
    // The events flooder: (almost) everything it sent refused, or it was cut off.
    const accepted = (events.sent ?? 0) - (events.limited ?? 0) - (events.otherErrors ?? 0);
    if (RATE > 0) c.check((events.sent ?? 0) >= RATE * PHASE_S * 0.8, `the events flooder reached its rate (${events.sent} in ${ROUNDS * PHASE_S} s)`);
    if (RATE > 0) c.check((events.closes ?? 0) > 0 || accepted <= 200 + (events.sent ?? 0) * 0.001, `the events flooder was rate-limited or disconnected (accepted ~${accepted})`);
    if (FRAME_MB > 0)
      c.check(
        (big.wsFrames ?? 0) > 0 && big.wsClosedByServer === big.wsFrames,
        `every ${FRAME_MB} MB WebSocket frame closed its connection (${big.wsClosedByServer}/${big.wsFrames})`,
      );
    if (FRAME_MB > 0)
      c.check(
        (big.pollPosts ?? 0) > 0 && (big.pollStatus?.["413"] ?? 0) + (big.pollStatus?.["400"] ?? 0) === big.pollPosts,
        `every oversized polling POST refused (${JSON.stringify(big.pollStatus)})`,
      );
    c.check(latency.flood.length > 0 && latency.quiet.length > 0, "latency samples in both phases");
    c.check(floodWins.length === ROUNDS && quietWins.length >= ROUNDS, `enough samples per window (${quietWins.length} quiet, ${floodWins.length} flood)`);
    c.check(floodMedian <= 2 * reference, `normal clients' p99 under flood (median of windows ${round(floodMedian, 0)} ms) within 2x quiet (${round(reference, 0)} ms)`);
    c.check(!ackCodes.RATE_LIMITED && !ackCodes.NO_ACK, `normal clients were never limited nor left without an ack (${JSON.stringify(ackCodes)})`);
    c.check(rssEnd <= rssBase * 1.1 + 64 * 1024, `memory back to baseline (${mb(rssBase)} -> ${mb(rssEnd)} MB, peak ${mb(rssPeak)})`);
    c.check(
      clients.every((s) => s.connected),
      "every normal client still connected",
    );
    c.check(p.alive(), "platform alive");
    c.check(p.errorLines().length === 0, `no error lines (${p.errorLines()[0]?.raw ?? ""})`);
  } finally {
    for (const s of clients) s?.close();
    await p.stop();
    note("platform stopped");
  }
});
