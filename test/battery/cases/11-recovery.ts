/**
 * Case 11, connection state recovery as an attacker sees it (issue 12 items 1 and 2). A victim's
 * session id (`pid`) is presented over a raw WebSocket (`40{"pid":…,"offset":…}`) with no token, a
 * garbage token, another tenant's token and another user's token: no private event of the victim
 * may arrive and no session may be taken over, whether the victim is away or still connected; the
 * victim then recovers its own session. Then forced transport closes under a data-change stream:
 * every reconnect recovered, no event missing or doubled.
 * Runs the platform in this process (the stream publishes on its bus).
 * Knobs: BATTERY_RECOVERIES (forced recoveries, 50), BATTERY_RECOVERY_RATE (events/s, 2000).
 */
import { io as ioClient, type Socket } from "socket.io-client";
import { deliverRaw } from "@rt/service-kit";
import { TEST_API_KEY, uniqueTenant, waitFor } from "@rt/testkit";
import { figure, runCase, size, sleep } from "../lib/common.ts";
import { inProcessPlatform } from "../lib/platform.ts";
import { RawSocket } from "../lib/raw-socket.ts";

const RECOVERIES = size("RECOVERIES", 50, 50);
const RATE = size("RECOVERY_RATE", 2000, 2000);

await runCase("11-recovery", 200, async (c) => {
  const p = await inProcessPlatform();
  try {
    const ws = p.url.replace(/^http/, "ws");
    const publish = (user: string, data: unknown) =>
      p.fetch("/api/publish", { method: "POST", headers: { "x-api-key": TEST_API_KEY }, json: { tenantId: p.tenant, target: { kind: "user", id: user }, event: "private", data } });
    const state = (s: Socket) => s as unknown as { _pid: string; _lastOffset: string };
    const victim = async (sub: string) => {
      const s = ioClient(p.url, { auth: { token: await p.token({ sub }) }, transports: ["websocket"], forceNew: true, reconnection: false });
      await waitFor(s, "connect");
      const first = waitFor(s, "private");
      await publish(sub, { secret: "warm-up" });
      await first;
      return s;
    };
    const attackers = async (sub: string): Promise<Array<[string, Record<string, unknown>]>> => [
      ["no token", {}],
      ["garbage token", { token: "garbage.garbage.garbage" }],
      ["other tenant's token", { token: await p.token({ sub, tenantId: uniqueTenant("evil") }) }],
      ["same tenant, other user", { token: await p.token({ sub: "mallory" }) }],
    ];

    // 1. The victim is away: its session waits for recovery, a private event is stored for it.
    const away = await victim("victim-away");
    const pid = state(away)._pid;
    const offset = state(away)._lastOffset;
    const gone = waitFor(away, "disconnect");
    p.platform.gateway.io.of("/").sockets.get(away.id!)?.conn.close();
    await gone;
    const secret = `secret-${crypto.randomUUID()}`;
    await publish("victim-away", { secret });
    await sleep(200);
    let leaked = 0;
    let takenOver = 0;
    for (const [label, auth] of await attackers("victim-away")) {
      const r = await RawSocket.open(ws, { auth: { ...auth, pid, offset } });
      await sleep(300);
      const got = r.socket.received.some((f) => f.includes(secret));
      const tookSession = r.connected && (r.socket.sid === away.id || r.socket.pid === pid);
      c.check(!got, `away victim, ${label}: the missed private event reached the attacker`);
      c.check(!tookSession, `away victim, ${label}: the attacker got the victim's socket id or session`);
      leaked += Number(got);
      takenOver += Number(tookSession);
      r.socket.close();
    }
    const mine = waitFor(away, "private");
    const back = waitFor(away, "connect");
    away.connect();
    await back;
    c.check(away.recovered === true, "the victim's own recovery after the attacks: not recovered");
    c.check((await mine).secret === secret, "the victim's own recovery after the attacks: secret not replayed");
    away.close();

    // 2. The victim is connected: a stolen pid must not take its socket id or its deliveries.
    const live = await victim("victim-live");
    for (const [label, auth] of await attackers("victim-live")) {
      const r = await RawSocket.open(ws, { auth: { ...auth, pid: state(live)._pid, offset: state(live)._lastOffset } });
      const s2 = `live-${crypto.randomUUID()}`;
      const got = waitFor(live, "private", { timeoutMs: 5000 });
      await publish("victim-live", { secret: s2 });
      const victimGot = (await got.catch(() => ({ secret: "" }))).secret === s2;
      await sleep(200);
      const stolen = r.socket.received.some((f) => f.includes(s2)) || (r.connected && r.socket.sid === live.id);
      c.check(victimGot, `live victim, ${label}: the victim stopped receiving`);
      c.check(!stolen, `live victim, ${label}: the attacker took the live session`);
      takenOver += Number(stolen || !victimGot);
      r.socket.close();
    }
    live.close();
    figure(`11-recovery: stolen pid attempts leaked ${leaked} private events, took over ${takenOver} sessions (of 8 attempts)`);

    // 3. Forced recoveries while a data-change stream runs to the socket's sync room.
    const type = "Stream";
    const s = ioClient(p.url, {
      auth: { token: await p.token({ sub: "streamer" }) },
      transports: ["websocket"],
      forceNew: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 150,
    });
    await waitFor(s, "connect");
    await s.timeout(5000).emitWithAck("join-data-sync", [type]);
    const counts = new Map<number, number>();
    let last = -1;
    s.on("data-change", (d: { data: { n: number } }) => {
      counts.set(d.data.n, (counts.get(d.data.n) ?? 0) + 1);
      last = Math.max(last, d.data.n);
    });
    let n = 0;
    const t0 = performance.now();
    const timer = setInterval(() => {
      const due = Math.floor(((performance.now() - t0) / 1000) * RATE);
      while (n < due) {
        deliverRaw(p.platform.bus, {
          tenantId: p.tenant,
          target: { kind: "sync", id: type },
          event: "data-change",
          data: { entityType: type, action: "UPDATE", data: { n }, seq: n },
        });
        n++;
      }
    }, 10);
    // A first event before the first drop: without an offset the client has nothing to recover from
    // (a fresh session, out of the sync room, and the loop below would wait for nothing).
    while (last < 0) await sleep(5);
    let recovered = 0;
    for (let i = 0; i < RECOVERIES; i++) {
      const again = waitFor(s, "connect", { timeoutMs: 15_000 });
      s.io.engine.close();
      const gap = n;
      await again;
      recovered += Number(s.recovered);
      // The next drop once the replay reached what was published before this one.
      const until = Date.now() + 30_000;
      while (last < gap - 1 && Date.now() < until) await sleep(5);
      await sleep(30 + Math.random() * 70);
    }
    clearInterval(timer);
    const rate = Math.round(n / ((performance.now() - t0) / 1000));
    const deadline = Date.now() + 15_000;
    while (counts.size < n && Date.now() < deadline) await sleep(100);
    s.close();
    let missing = 0;
    for (let i = 0; i < n; i++) if (!counts.has(i)) missing++;
    const doubled = [...counts.values()].filter((x) => x > 1).length;
    figure(`11-recovery: ${RECOVERIES} forced recoveries at ${rate} data-change/s (${n} events): recovered ${recovered}, missing ${missing}, doubled ${doubled}`);
    c.check(recovered === RECOVERIES, `forced recoveries: ${RECOVERIES - recovered} not recovered`);
    c.check(missing === 0, `forced recoveries: ${missing} events missing`);
    c.check(doubled === 0, `forced recoveries: ${doubled} events doubled`);
  } finally {
    await p.stop();
  }
});
