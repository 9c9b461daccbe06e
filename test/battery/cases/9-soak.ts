/**
 * Case 9, soak: 1,000 sockets chat in rooms of 10 for BATTERY_SOAK_SECONDS (300 in the full run)
 * while they keep reconnecting: some close and come back as a new connection, some lose their
 * transport and recover the session, some refresh their token in place. The platform's RSS and
 * open file descriptors (from /proc) must stay flat, printed at start, middle and end, and its log
 * must hold no error-level line.
 * Knobs: BATTERY_SOAK_SOCKETS (1000), BATTERY_SOAK_SECONDS (300).
 */
import { io as ioClient, type Socket } from "socket.io-client";
import { figure, mb, note, pool, round, runCase, size, sleep } from "../lib/common.ts";
import { spawnPlatform } from "../lib/platform.ts";

const SOCKETS = size("SOAK_SOCKETS", 1000, 200);
const SECONDS = size("SOAK_SECONDS", 300, 20);
const ROOM_USERS = 10;
const MESSAGE_EVERY_MS = 12_000; // 5/min per user, under the default 10/min limit

await runCase("9-soak", SECONDS + 120, async (c) => {
  const p = await spawnPlatform({ NODE_ENV: "production" });
  const sockets: Array<Socket | undefined> = [];
  let running = true;
  try {
    const tenant = "soak-t";
    const users = Array.from({ length: SOCKETS }, (_, i) => `s${i}`);
    const rooms: number[] = [];
    for (let r = 0; r * ROOM_USERS < SOCKETS; r++) {
      const tok = await p.token({ sub: users[r * ROOM_USERS]!, tenantId: tenant });
      const res = await fetch(`${p.url}/api/chat/rooms`, {
        method: "POST",
        headers: { authorization: `Bearer ${tok}`, "content-type": "application/json" },
        body: JSON.stringify({ name: `soak-${r}`, memberIds: users.slice(r * ROOM_USERS, (r + 1) * ROOM_USERS) }),
      });
      rooms.push(((await res.json()) as { id: number }).id);
    }
    const stats = { sent: 0, ok: 0, failed: {} as Record<string, number>, received: 0, newConnections: 0, transportDrops: 0, recovered: 0, refreshed: 0, connectErrors: 0 };
    const roomOf = (i: number) => rooms[Math.floor(i / ROOM_USERS)]!;
    /** Disconnects seen per client: an ack lost with its transport is told apart from a silent one. */
    const drops: number[] = [];

    /** A client: connects, joins its room, counts what it receives; socket.io-client reconnects it. */
    const connect = async (i: number) => {
      const token = await p.token({ sub: users[i]!, tenantId: tenant, ttl: 3600 });
      const s = ioClient(p.url, { transports: ["websocket"], auth: { token }, forceNew: true, reconnectionDelay: 300, reconnectionDelayMax: 1500 });
      s.on("message:new", () => stats.received++);
      s.on("connect", () => {
        if (s.recovered) stats.recovered++;
        else
          void s
            .timeout(15_000)
            .emitWithAck("join_room", { roomId: roomOf(i) })
            .catch(() => undefined);
      });
      s.on("connect_error", () => stats.connectErrors++);
      s.on("disconnect", () => (drops[i] = (drops[i] ?? 0) + 1));
      await new Promise<void>((r, j) => (s.once("connect", () => r()), s.once("connect_error", j)));
      sockets[i] = s;
    };
    const t0 = performance.now();
    await pool(users, 25, (_, i) => connect(i));
    note(`${SOCKETS} sockets connected in ${round((performance.now() - t0) / 1000)} s`);

    const connected = () => sockets.filter((s) => s?.connected).length;
    const deadline = Date.now() + SECONDS * 1000;
    // Reconnections stop a little before the end, so the end figure is taken with everyone back.
    const churnUntil = deadline - Math.min(10_000, SECONDS * 200);

    const chat = sockets.map(async (_, i) => {
      await sleep(Math.random() * MESSAGE_EVERY_MS);
      while (running && Date.now() < deadline) {
        const s = sockets[i];
        if (s?.connected) {
          stats.sent++;
          const before = drops[i] ?? 0;
          const a = (await s
            .timeout(15_000)
            .emitWithAck("message:send", { roomId: roomOf(i), content: `soak ${Date.now()}` })
            .catch(() => ({ ok: false, error: { code: "NO_ACK" } }))) as { ok: boolean; error?: { code: string } };
          // Socket.IO does not replay acks: one in flight when the transport dropped (our churn) is lost.
          const code = a.ok ? "OK" : a.error!.code === "NO_ACK" && ((drops[i] ?? 0) !== before || sockets[i] !== s) ? "NO_ACK_TRANSPORT_DROPPED" : a.error!.code;
          if (a.ok) stats.ok++;
          else stats.failed[code] = (stats.failed[code] ?? 0) + 1;
          if (Math.random() < 0.2) s.volatile.emit("user:typing", { roomId: roomOf(i) });
        }
        await sleep(MESSAGE_EVERY_MS * (0.8 + Math.random() * 0.4));
      }
    });
    // Churn: every socket, every 20-60 s, one of: a new connection, a dropped transport (recovery),
    // or a token refresh in place.
    const churn = sockets.map(async (_, i) => {
      await sleep(5000 + Math.random() * 30_000);
      while (running && Date.now() < churnUntil) {
        const s = sockets[i];
        const roll = Math.random();
        if (s && roll < 0.4) {
          s.close();
          stats.newConnections++;
          await connect(i).catch(() => stats.connectErrors++);
        } else if (s && roll < 0.8) {
          stats.transportDrops++;
          (s.io as unknown as { engine: { close(): void } }).engine.close();
        } else if (s?.connected) {
          const fresh = await p.token({ sub: users[i]!, tenantId: tenant, ttl: 3600 });
          const a = (await s
            .timeout(15_000)
            .emitWithAck("authenticate", { token: fresh })
            .catch(() => null)) as { ok?: boolean } | null;
          if (a?.ok) stats.refreshed++;
        }
        await sleep(20_000 + Math.random() * 40_000);
      }
    });

    // Figures: start after a warm-up (the recovery log fills for its first minutes), middle, end.
    const warmup = Math.min(30, Math.max(5, SECONDS * 0.1)) * 1000;
    await sleep(warmup);
    const start = { rss: p.rssKb(), fds: p.fds(), connected: connected(), at: Date.now() };
    note(`start: rss ${mb(start.rss)} MB, fds ${start.fds}, connected ${start.connected}`);
    let mid = start;
    const samples: Array<{ t: number; rss: number; fds: number }> = [];
    let nextMid = true;
    while (Date.now() < deadline) {
      await sleep(Math.min(10_000, Math.max(1000, deadline - Date.now())));
      const now = { rss: p.rssKb(), fds: p.fds(), connected: connected(), at: Date.now() };
      samples.push({ t: Math.round((now.at - start.at) / 1000), rss: now.rss, fds: now.fds });
      if (nextMid && now.at - start.at >= (deadline - start.at) / 2) {
        mid = now;
        nextMid = false;
      }
      note(
        `t+${Math.round((now.at - start.at) / 1000)}s rss ${mb(now.rss)} MB fds ${now.fds} connected ${now.connected}/${SOCKETS} sent ${stats.sent} ok ${stats.ok} received ${stats.received} reconnects new=${stats.newConnections} drop=${stats.transportDrops} recovered=${stats.recovered}`,
      );
    }
    running = false;
    // Everyone back before the end figure (bounded).
    const settle = Date.now() + 20_000;
    while (connected() < SOCKETS && Date.now() < settle) await sleep(250);
    await Promise.race([Promise.all([...chat, ...churn]), sleep(20_000)]);
    await sleep(2000);
    const end = { rss: p.rssKb(), fds: p.fds(), connected: connected(), at: Date.now() };
    const errors = p.errorLines();
    const warns = p.lines.filter((l) => l.level === 40).length;
    figure(
      `soak sockets=${SOCKETS} seconds=${SECONDS} rss start=${mb(start.rss)} mid=${mb(mid.rss)} end=${mb(end.rss)} MB fds start=${start.fds} mid=${mid.fds} end=${end.fds} connected_end=${end.connected} error_lines=${errors.length} warn_lines=${warns}`,
    );
    figure(
      `soak messages sent=${stats.sent} acked_ok=${stats.ok} failed=${JSON.stringify(stats.failed)} received=${stats.received} reconnects new=${stats.newConnections} transport_drops=${stats.transportDrops} recovered=${stats.recovered} token_refreshes=${stats.refreshed} connect_errors=${stats.connectErrors}`,
    );
    c.check(p.alive(), "platform alive");
    c.check(
      errors.length === 0,
      `no error lines in the platform log (${errors.length}): ${errors
        .slice(0, 3)
        .map((l) => l.raw.slice(0, 300))
        .join(" | ")}`,
    );
    c.check(end.connected === SOCKETS, `every socket connected at the end (${end.connected}/${SOCKETS})`);
    // Flat: open fds back to where they started (same sockets connected), RSS not climbing.
    c.check(Math.abs(end.fds - start.fds) <= 20, `open fds flat (${start.fds} -> ${end.fds})`);
    c.check(end.rss <= start.rss * 1.2 + 32 * 1024, `RSS flat (${mb(start.rss)} -> ${mb(end.rss)} MB, +20% + 32 MB allowed)`);
    c.check(end.rss <= mid.rss * 1.12 + 16 * 1024, `RSS not climbing in the second half (${mb(mid.rss)} -> ${mb(end.rss)} MB)`);
    c.check(stats.ok >= stats.sent * 0.99, `at least 99% of messages acked OK (${stats.ok}/${stats.sent})`);
    c.check(!stats.failed.NO_ACK, `no ack lost on a connection that stayed up (${stats.failed.NO_ACK ?? 0})`);
    c.check(stats.transportDrops === 0 || stats.recovered > 0, "dropped transports recover their sessions");
  } finally {
    running = false;
    for (const s of sockets) s?.close();
    await p.stop();
    note("platform stopped");
  }
});
