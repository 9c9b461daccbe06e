/**
 * Load generator worker: a child process (Bun) holding socket.io-client sockets, driven by the
 * orchestrator over IPC. Every loop here is bounded by a count and a deadline.
 *
 * Commands (orchestrator -> worker), each answered by one reply of the same `id`:
 *  connect   { url, clients: [{ sub, tenant }], secret, concurrency, timeoutMs }
 *  join      { rooms: [{ roomId, subs }], timeoutMs }
 *  fanout    { event }                    start counting `event` {seq}; progress every 10 ms
 *  chat      { rooms, rate, durationMs, warmupMs, drainMs }   message:send load, latencies
 *  presence  { url, clients, secret, mode, users, spreadMs, settleTimeoutMs, tailMs }   a tenant's reconnect storm: see presenceStorm
 *  close     {}                            close every socket, then exit
 */
import { io, type Socket } from "socket.io-client";
import { mintToken } from "@rt/auth";

type Cmd = { id: number; type: string; [k: string]: any };
const reply = (id: number, data: Record<string, unknown>) => process.send!({ id, ...data });
const now = () => Number(process.hrtime.bigint()) / 1e6; // CLOCK_MONOTONIC, comparable across processes

const sockets = new Map<string, Socket>();
let url = "";

async function connectAll(cmd: Cmd) {
  url = cmd.url;
  const clients: { sub: string; tenant: string }[] = cmd.clients;
  const deadline = Date.now() + cmd.timeoutMs;
  const t0 = now();
  let ok = 0;
  let failed = 0;
  let lastOkMs = 0;
  const errors: string[] = [];
  let next = 0;
  // one connection may take at most this long (a server out of file descriptors never answers)
  const perConnectMs = cmd.connectTimeoutMs ?? cmd.timeoutMs;
  const one = async (c: { sub: string; tenant: string }) => {
    const token = await mintToken({ sub: c.sub, tenantId: c.tenant, name: c.sub, ttl: 3600 }, { secret: cmd.secret });
    const s = io(url, { transports: ["websocket"], auth: { token }, reconnection: false, forceNew: true, timeout: perConnectMs });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => done("timeout"), Math.max(1, Math.min(perConnectMs, deadline - Date.now())));
      const done = (err?: string) => {
        clearTimeout(timer);
        s.off("connect", onOk);
        s.off("connect_error", onErr);
        if (err) {
          failed++;
          if (errors.length < 5) errors.push(err);
          s.close();
        } else {
          ok++;
          lastOkMs = now() - t0;
          sockets.set(c.sub, s);
        }
        resolve();
      };
      const onOk = () => done();
      const onErr = (e: Error) => done(e.message);
      s.once("connect", onOk);
      s.once("connect_error", onErr);
    });
  };
  const lanes = Array.from({ length: Math.min(cmd.concurrency, clients.length) }, async () => {
    while (next < clients.length && Date.now() < deadline) await one(clients[next++]!);
  });
  await Promise.all(lanes);
  failed += clients.length - ok - failed;
  reply(cmd.id, { ok, failed, ms: now() - t0, lastOkMs, errors });
}

async function joinAll(cmd: Cmd) {
  let ok = 0;
  let failed = 0;
  const errors: string[] = [];
  const jobs: Promise<void>[] = [];
  for (const r of cmd.rooms as { roomId: number; subs: string[] }[]) {
    for (const sub of r.subs) {
      const s = sockets.get(sub);
      if (!s) {
        failed++;
        continue;
      }
      // A join refused for now (UNAVAILABLE with retryAfterMs: a service shedding the join burst)
      // is asked again, as the client SDK does: the scenario measures messages, not this burst.
      const join = async (tries: number): Promise<void> => {
        let a: any;
        try {
          a = await s.timeout(cmd.timeoutMs).emitWithAck("join_room", { roomId: r.roomId });
        } catch (e) {
          failed++;
          if (errors.length < 5) errors.push((e as Error).message);
          return;
        }
        if (a?.ok) return void ok++;
        if (a?.error?.retryAfterMs !== undefined && tries > 1) {
          await Bun.sleep(a.error.retryAfterMs * (0.75 + Math.random() / 2));
          return join(tries - 1);
        }
        failed++;
        if (errors.length < 5) errors.push(JSON.stringify(a?.error));
      };
      jobs.push(join(8));
      // keep the number of joins in flight bounded
      if (jobs.length % 200 === 0) await Promise.all(jobs.splice(0));
    }
  }
  await Promise.all(jobs);
  reply(cmd.id, { ok, failed, errors });
}

// ---------------------------------------------------------------- fan-out
let fanoutTimer: ReturnType<typeof setInterval> | undefined;
function fanout(cmd: Cmd) {
  const list = [...sockets.values()];
  const last = new Float64Array(list.length);
  let received = 0;
  const prefix = `42${JSON.stringify([cmd.event]).slice(0, -1)},`;
  list.forEach((s, i) => {
    s.on(cmd.event, (d: { seq: number }) => {
      last[i] = d.seq;
      received++;
    });
    if (!cmd.lean) return;
    // Lean receive: the socket stays a socket.io-client socket (handshake, auth, heartbeats), but
    // frames of the measured event are counted straight off its WebSocket instead of going through
    // engine.io + socket.io decoding and the emitter, so the generator core is not the limit.
    const ws = (s.io.engine as any).transport?.ws;
    const orig = ws?.onmessage;
    if (!ws || typeof orig !== "function") return;
    ws.onmessage = (ev: { data: unknown }) => {
      const d = ev.data;
      if (typeof d === "string" && d.startsWith(prefix)) {
        const at = d.indexOf('"seq":', prefix.length);
        last[i] = at < 0 ? last[i]! : parseInt(d.slice(at + 6, at + 20), 10);
        received++;
        return;
      }
      orig.call(ws, ev);
    };
  });
  let reported = -1;
  let reportedRx = -1;
  fanoutTimer = setInterval(() => {
    let min = Infinity;
    for (let i = 0; i < last.length; i++) if (last[i]! < min) min = last[i]!;
    if (min !== reported || received !== reportedRx) {
      reported = min;
      reportedRx = received;
      process.send!({ progress: true, minSeq: min === Infinity ? 0 : min, received, at: now() });
    }
  }, 5);
  reply(cmd.id, { listening: list.length });
}

// ---------------------------------------------------------------- chat load
async function chat(cmd: Cmd) {
  const rooms: { roomId: number; subs: string[] }[] = cmd.rooms;
  const senders: { s: Socket; roomId: number; size: number }[] = [];
  for (const r of rooms)
    for (const sub of r.subs) {
      const s = sockets.get(sub);
      if (s) senders.push({ s, roomId: r.roomId, size: r.subs.filter((x) => sockets.has(x)).length });
    }
  const pending = new Map<string, { t0: number; left: number; measured: boolean }>();
  /** [ms since start, latency] of the slowest messages (for finding stalls). */
  const slow: [number, number][] = [];
  const latencies: number[] = [];
  const ackLatencies: number[] = [];
  const ackErrors: Record<string, number> = {};
  const refusedLatencies: number[] = [];
  let refusedWithoutRetry = 0;
  let sent = 0;
  let acked = 0;
  let delivered = 0;
  let complete = 0;
  let unexpected = 0;
  const prefix = `${process.pid}-${cmd.id}-`;
  const onNew = (m: { content?: string }) => {
    const key = m?.content;
    if (typeof key !== "string" || !key.startsWith(prefix)) return;
    const p = pending.get(key);
    if (!p) {
      unexpected++;
      return;
    }
    delivered++;
    if (--p.left === 0) {
      complete++;
      const lat = now() - p.t0;
      if (p.measured) latencies.push(lat);
      if (lat > 50 && slow.length < 300) slow.push([Math.round(p.t0 - start), Math.round(lat)]);
      pending.delete(key);
    }
  };
  for (const { s } of senders) s.on("message:new", onNew);

  const start = now();
  // The generator's own event-loop stalls ([ms since start, ms late]): a stalled worker reads its
  // frames late and then sends a burst, which shows as the server's latency and overload.
  const stalls: [number, number][] = [];
  let expectedTick = now() + 10;
  const lagTimer = setInterval(() => {
    const t = now();
    if (t - expectedTick > 100 && stalls.length < 100) stalls.push([Math.round(expectedTick - start), Math.round(t - expectedTick)]);
    expectedTick = t + 10;
  }, 10);
  const end = start + cmd.durationMs;
  let rr = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const t = now();
      const due = Math.min(Math.floor(((Math.min(t, end) - start) / 1000) * cmd.rate), Math.ceil((cmd.durationMs / 1000) * cmd.rate));
      let budget = 2000; // bounded per tick
      while (sent < due && budget-- > 0 && senders.length) {
        const who = senders[rr++ % senders.length]!;
        const key = prefix + sent;
        const t0 = now();
        pending.set(key, { t0, left: who.size, measured: t0 - start >= cmd.warmupMs });
        sent++;
        who.s.emit("message:send", { roomId: who.roomId, content: key }, (a: any) => {
          if (a?.ok) {
            acked++;
            if (t0 - start >= cmd.warmupMs) ackLatencies.push(now() - t0);
          } else {
            const code = a?.error?.code ?? "NO_ACK";
            ackErrors[code] = (ackErrors[code] ?? 0) + 1;
            // A refused message is not expected anywhere; how fast the refusal came, and whether it says when to retry.
            pending.delete(key);
            refusedLatencies.push(now() - t0);
            if (typeof a?.error?.retryAfterMs !== "number") refusedWithoutRetry++;
          }
        });
      }
      if (t >= end) return resolve();
      setTimeout(tick, 2);
    };
    tick();
  });
  // drain: wait (bounded) for outstanding acks and receipts
  const drainEnd = now() + cmd.drainMs;
  while (now() < drainEnd && (pending.size > 0 || acked + sum(ackErrors) < sent)) await Bun.sleep(20);
  for (const { s } of senders) s.off("message:new", onNew);
  clearInterval(lagTimer);
  let expected = 0;
  let lostMessages = 0;
  lostMessages += pending.size;
  expected = delivered + [...pending.values()].reduce((a, p) => a + p.left, 0);
  reply(cmd.id, {
    sent,
    acked,
    ackErrors,
    refusedLatencies,
    refusedWithoutRetry,
    noAck: sent - acked - sum(ackErrors),
    delivered,
    expected,
    complete,
    incomplete: lostMessages,
    unexpected,
    sendMs: now() - start,
    latencies,
    ackLatencies,
    slow,
    stalls,
  });
}
// ---------------------------------------------------------------- presence storm
/**
 * Connect `clients` (users `u<index>` of one tenant) evenly over `spreadMs`, each asking for the
 * presence `mode`; each socket's view is `presence:list` at connect plus every presence frame after
 * its answer, kept as a bitmap over the tenant's `users`. Replies when every view holds all users
 * (or at the deadline): presence frames received, when the last connect and the last view settled.
 */
async function presenceStorm(cmd: Cmd) {
  const clients: { sub: string; tenant: string }[] = cmd.clients;
  const users: number = cmd.users;
  const indexOf = (userId: string) => Number(userId.slice(1));
  const t0 = now();
  let frames = 0;
  let bytes = 0;
  let connected = 0;
  let failed = 0;
  let lastConnectAt = 0;
  let settled = 0;
  let settledAt = 0;
  /** Sockets the server closed (an overloaded server misses pings): their users stay offline in every view. */
  let dropped = 0;
  const byEvent: Record<string, number> = {};
  const errors: string[] = [];
  const one = async (c: { sub: string; tenant: string }, at: number) => {
    await Bun.sleep(Math.max(0, at - (now() - t0)));
    const token = await mintToken({ sub: c.sub, tenantId: c.tenant, name: c.sub, ttl: 3600 }, { secret: cmd.secret });
    const s = io(cmd.url, { transports: ["websocket"], auth: { token, presence: cmd.mode }, reconnection: false, forceNew: true, timeout: cmd.settleTimeoutMs });
    const seen = new Uint8Array(users);
    let count = 0;
    let listed = false;
    let done = false;
    const mark = (userId: string, on: boolean) => {
      const i = indexOf(userId);
      if (!(i >= 0 && i < users) || seen[i] === (on ? 1 : 0)) return;
      seen[i] = on ? 1 : 0;
      count += on ? 1 : -1;
      check();
    };
    const check = () => {
      if (count !== users || !listed || done) return;
      done = true;
      settled++;
      settledAt = now();
    };
    const apply = (event: string, d: any) => {
      if (event === "presence:batch") {
        for (const u of d.online) mark(u, true);
        for (const u of d.offline) mark(u, false);
      } else mark(d.userId, event === "user:online");
    };
    // Frames before the list's answer are applied after it (as the SDK's useOnlineUsers does).
    const early: Array<[string, any]> = [];
    s.onAny((event: string, d: any) => {
      if (event !== "user:online" && event !== "user:offline" && event !== "presence:batch") return;
      byEvent[event] = (byEvent[event] ?? 0) + 1;
      frames++;
      bytes += 40 + JSON.stringify(d).length;
      if (listed) apply(event, d);
      else early.push([event, d]);
    });
    const ok = await new Promise<boolean>((resolve) => {
      s.once("connect", () => resolve(true));
      s.once("connect_error", (e: Error) => {
        if (errors.length < 5) errors.push(e.message);
        resolve(false);
      });
    });
    if (!ok) {
      failed++;
      s.close();
      return;
    }
    sockets.set(c.sub, s);
    connected++;
    lastConnectAt = now();
    s.on("disconnect", () => dropped++);
    const ack: any = await s
      .timeout(cmd.settleTimeoutMs)
      .emitWithAck("presence:list")
      .catch((e: Error) => ({ ok: false, error: e.message }));
    if (!ack?.ok) {
      if (errors.length < 5) errors.push(`presence:list: ${JSON.stringify(ack?.error)}`);
      return;
    }
    for (const u of ack.data.users) mark(u.userId, true);
    for (const [event, d] of early) apply(event, d);
    listed = true;
    check();
  };
  // One deadline for connecting, listing and settling: past it the figures so far are the answer.
  const deadline = t0 + cmd.spreadMs + cmd.settleTimeoutMs;
  const all = Promise.all(clients.map((c, k) => one(c, (k / clients.length) * cmd.spreadMs)));
  await Promise.race([all, Bun.sleep(Math.max(0, deadline - now()))]);
  while (settled < clients.length - failed && now() < deadline) await Bun.sleep(20);
  // A batch already on its way is part of the storm's cost.
  await Bun.sleep(cmd.tailMs);
  reply(cmd.id, { connected, failed, settled, dropped, frames, byEvent, bytes, t0, lastConnectAt, settledAt, errors });
}

const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

process.on("message", async (cmd: Cmd) => {
  try {
    switch (cmd.type) {
      case "connect":
        return await connectAll(cmd);
      case "join":
        return await joinAll(cmd);
      case "fanout":
        return fanout(cmd);
      case "fanout-stop":
        clearInterval(fanoutTimer);
        return reply(cmd.id, {});
      case "chat":
        return await chat(cmd);
      case "presence":
        return await presenceStorm(cmd);
      case "close":
        clearInterval(fanoutTimer);
        for (const s of sockets.values()) s.close();
        sockets.clear();
        reply(cmd.id, {});
        setTimeout(() => process.exit(0), 50);
        return;
    }
  } catch (err) {
    reply(cmd.id, { error: String((err as Error)?.stack ?? err) });
  }
});
process.send!({ ready: true });
// never outlive the orchestrator
process.on("disconnect", () => process.exit(0));
