/**
 * A flooding client in its own process (so its sending does not run on the measuring clients'
 * event loop; the parent pauses and resumes it with SIGSTOP/SIGCONT). FLOOD_MODE=events: one raw
 * Socket.IO WebSocket sending FLOOD_RATE events/s (ping, typing, messages, unknown names) without
 * acks; FLOOD_MODE=big: FLOOD_FRAME_MB MB frames over WebSocket (reconnecting after each close) and
 * polling POSTs of the same size, at most FLOOD_BIG_MBPS MB/s (default 100: what one client on a
 * 1 Gbit/s link can send; unthrottled on loopback it would measure this machine's memcpy, the
 * flooder's own masking CPU included, not the gateway). Runs until SIGTERM (or FLOOD_SECONDS),
 * then prints one JSON line with what it sent and what came back.
 * Env: FLOOD_WS_URL, FLOOD_HTTP_URL, FLOOD_TOKEN, FLOOD_ROOM.
 */
import { RawSocket } from "./raw-socket.ts";
import { sleep } from "./common.ts";

const mode = process.env.FLOOD_MODE ?? "events";
const seconds = Number(process.env.FLOOD_SECONDS ?? 10);
const wsUrl = process.env.FLOOD_WS_URL!;
const httpUrl = process.env.FLOOD_HTTP_URL!;
const token = process.env.FLOOD_TOKEN!;
const room = Number(process.env.FLOOD_ROOM ?? 1);
const until = Date.now() + seconds * 1000;
let stop = false;
process.on("SIGTERM", () => {
  stop = true;
});
const running = () => !stop && Date.now() < until;

const report: Record<string, unknown> = { mode };

if (mode === "events") {
  const rate = Number(process.env.FLOOD_RATE ?? 5000);
  let { socket } = await RawSocket.open(wsUrl, { auth: { token } });
  const frames = [
    '42["ping"]',
    `42["user:typing",{"roomId":${room}}]`,
    `42["message:send",{"roomId":${room},"content":"flood"}]`,
    '42["presence:list"]',
    '42["no-such-event",{"x":1}]',
  ];
  let sent = 0;
  let limited = 0;
  let otherErrors = 0;
  let reconnects = 0;
  let closes = 0;
  const watch = (s: RawSocket) =>
    s.onFrame((f) => {
      if (!f.startsWith('42["error"')) return;
      if (f.includes('"RATE_LIMITED"')) limited++;
      else otherErrors++;
    });
  watch(socket);
  const tickMs = 10;
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  let t0 = Date.now();
  let last = Date.now();
  while (running()) {
    // Resumed after a SIGSTOP: do not catch up on the paused time.
    const now = Date.now();
    if (now - last > 200) t0 += now - last - tickMs;
    last = now;
    if (socket.closed) {
      closes++;
      const again = await RawSocket.open(wsUrl, { auth: { token } }).catch(() => null);
      if (!again?.connected) break;
      socket = again.socket;
      watch(socket);
      reconnects++;
    }
    // Keep to the rate over the whole run, whatever the timer's granularity.
    const due = Math.floor(((Date.now() - t0) * rate) / 1000) - sent;
    for (let i = 0; i < Math.min(due, perTick * 4); i++) socket.send(frames[(sent + i) % frames.length]!);
    sent += Math.max(0, Math.min(due, perTick * 4));
    await sleep(tickMs);
  }
  const activeS = (Date.now() - t0) / 1000;
  await sleep(500);
  Object.assign(report, {
    sent,
    activeS: Math.round(activeS * 10) / 10,
    rate: Math.round(sent / activeS),
    limited,
    otherErrors,
    closes: closes + (socket.closed ? 1 : 0),
    reconnects,
  });
  socket.close();
} else {
  const size = Number(process.env.FLOOD_FRAME_MB ?? 10) * 1024 * 1024;
  const big = `42["message:send",{"roomId":${room},"content":"${"x".repeat(size)}"}]`;
  const mbps = Number(process.env.FLOOD_BIG_MBPS ?? 100);
  const pause = Math.max(0, ((2 * size) / (mbps * 1024 * 1024)) * 1000);
  let wsFrames = 0;
  let wsClosedByServer = 0;
  let pollPosts = 0;
  const pollStatus: Record<string, number> = {};
  while (running()) {
    const started = Date.now();
    const { socket, connected } = await RawSocket.open(wsUrl, { auth: { token } }).catch(() => ({ socket: null, connected: false }));
    if (connected && socket) {
      socket.send(big);
      wsFrames++;
      if (await socket.waitClosed(5000)) wsClosedByServer++;
      socket.close();
    }
    // The same over polling: an open session, then one oversized POST.
    try {
      const open = await (await fetch(`${httpUrl}/socket.io/?EIO=4&transport=polling`)).text();
      const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
      const r = await fetch(`${httpUrl}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: big });
      pollPosts++;
      pollStatus[r.status] = (pollStatus[r.status] ?? 0) + 1;
    } catch (err) {
      pollStatus[String((err as Error).name)] = (pollStatus[String((err as Error).name)] ?? 0) + 1;
    }
    await sleep(Math.max(0, pause - (Date.now() - started)));
  }
  Object.assign(report, { wsFrames, wsClosedByServer, pollPosts, pollStatus, mb: size / 1024 / 1024 });
}
console.log(JSON.stringify(report));
process.exit(0);
