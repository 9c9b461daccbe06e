/**
 * Case 6, slow consumers: 100 WebSocket clients of a tenant that stop reading (their process is
 * SIGSTOPped, so the kernel buffers fill and the gateway's per-socket send buffers would grow)
 * while the tenant gets a stream of large broadcasts. Expected: the gateway's memory stays bounded,
 * the stuck clients are disconnected (well before the 45 s Engine.IO ping timeout would do it),
 * and the tenant's normal clients receive every broadcast with an unaffected latency.
 * Knobs: BATTERY_SLOW_CLIENTS (100), BATTERY_SLOW_NORMAL (20), BATTERY_SLOW_MB (per slow client, 24).
 */
import { io as ioClient, type Socket } from "socket.io-client";
import { figure, mb, note, percentile, round, runCase, size, sleep } from "../lib/common.ts";
import { API_KEY, JWT_SECRET, ROOT, rssSampler, spawnPlatform } from "../lib/platform.ts";

const SLOW = size("SLOW_CLIENTS", 100, 100);
const NORMAL = size("SLOW_NORMAL", 20, 10);
const PER_CLIENT_MB = size("SLOW_MB", 24, 24);
const PAYLOAD = 256 * 1024;

await runCase("6-slow-consumers", 200, async (c) => {
  const p = await spawnPlatform({ NODE_ENV: "production", RATE_LIMIT_DEFAULT: "100000" });
  let slowProc: Bun.Subprocess<"ignore", "pipe", "inherit"> | undefined;
  const normals: Socket[] = [];
  try {
    const tenant = "slow-t";
    const sockets = async () => {
      const text = await (await fetch(`${p.opsUrl}/metrics`)).text();
      return Number(/^rt_gateway_connected_sockets(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? NaN);
    };
    for (let i = 0; i < NORMAL; i++) {
      const token = await p.token({ sub: `reader-${i}`, tenantId: tenant });
      const s = ioClient(p.url, { transports: ["websocket"], auth: { token }, forceNew: true, reconnection: false });
      await new Promise<void>((r, j) => (s.once("connect", () => r()), s.once("connect_error", j)));
      normals.push(s);
    }
    slowProc = Bun.spawn(["bun", "run", `${ROOT}/test/battery/lib/clients-process.ts`], {
      env: { ...process.env, CLIENTS_WS_URL: p.wsUrl, CLIENTS_COUNT: String(SLOW), CLIENTS_TENANT: tenant, CLIENTS_SECRET: JWT_SECRET, CLIENTS_PREFIX: "stuck" },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "inherit",
    });
    const reader = slowProc.stdout.getReader();
    let out = "";
    while (!/READY \d+/.test(out)) {
      const r = await reader.read();
      if (r.done) throw new Error(`slow clients process ended: ${out}`);
      out += new TextDecoder().decode(r.value);
    }
    await sleep(1000);
    const connectedBefore = await sockets();
    const rssBase = p.rssKb();
    const fdsBase = p.fds();
    note(`connected ${connectedBefore} sockets (${SLOW} slow + ${NORMAL} normal), rss ${mb(rssBase)} MB, fds ${fdsBase}`);

    // The slow ones stop reading: their process is frozen.
    process.kill(slowProc.pid, "SIGSTOP");
    const rss = rssSampler(p, 100);
    const received = new Map<number, number[]>();
    for (const s of normals) s.on("firehose", (d: { n: number; at: number }) => received.set(d.n, [...(received.get(d.n) ?? []), Date.now() - d.at]));
    const pad = "x".repeat(PAYLOAD);
    const publishes = Math.ceil((PER_CLIENT_MB * 1024 * 1024) / PAYLOAD);
    const started = performance.now();
    let disconnectedAt = 0;
    let n = 0;
    for (; n < publishes; n++) {
      const r = await fetch(`${p.url}/api/publish`, {
        method: "POST",
        headers: { "x-api-key": API_KEY, "content-type": "application/json" },
        body: JSON.stringify({ tenantId: tenant, target: { kind: "tenant" }, event: "firehose", data: { n, at: Date.now(), pad } }),
      });
      if (r.status !== 202) c.check(false, `publish ${n} answered ${r.status}`);
      if (n % 8 === 7) {
        await sleep(40);
        if (!disconnectedAt && (await sockets()) <= connectedBefore - SLOW * 0.95) disconnectedAt = performance.now();
      }
    }
    // Give the gateway the time to notice the rest (a bounded wait, far below the ping timeout).
    const deadline = performance.now() + 15_000;
    while (performance.now() < deadline && (await sockets()) > connectedBefore - SLOW) await sleep(250);
    if (!disconnectedAt && (await sockets()) <= connectedBefore - SLOW * 0.95) disconnectedAt = performance.now();
    await sleep(1000);
    rss.stop();
    const connectedAfter = await sockets();
    const dropped = connectedBefore - connectedAfter;
    const lat = [...received.values()].flat();
    const complete = [...received.values()].filter((v) => v.length === NORMAL).length;
    const growth = rss.peak() - rssBase;
    const sentMb = round((n * PAYLOAD * (SLOW + NORMAL)) / 1024 / 1024, 0);
    figure(
      `slow clients=${SLOW} normal=${NORMAL} broadcast=${n}x${PAYLOAD / 1024}KiB (${sentMb} MB fanned out) disconnected=${dropped}/${SLOW} in ${disconnectedAt ? round((disconnectedAt - started) / 1000) : "n/a"}s rss=${mb(rssBase)}->peak ${mb(rss.peak())} (+${mb(growth)} MB)->${mb(p.rssKb())} MB fds=${fdsBase}->${p.fds()} normal_received=${complete}/${n} p99=${round(percentile(lat, 99), 0)}ms`,
    );
    c.check(dropped >= SLOW && connectedAfter >= NORMAL, `the stuck clients are disconnected, the readers stay (${connectedBefore} -> ${connectedAfter})`);
    c.check(disconnectedAt > 0 && disconnectedAt - started < 40_000, "disconnected before the Engine.IO ping timeout (45 s) would have done it");
    // Bounded: the gateway caps each WebSocket's send buffer at 2 MiB (SEND_BUFFER_BYTES), so
    // the stuck clients can hold at most SLOW x 2 MiB, plus the stream's own garbage (~150 MB at
    // this size); without the cap this stream grew the gateway by ~2 GB.
    const bound = SLOW * 2 * 1024 + 300 * 1024;
    c.check(growth < bound, `gateway memory growth ${mb(growth)} MB stays under ${mb(bound)} MB`);
    note(`memory bound ${mb(bound)} MB (${SLOW} x 2 MiB send-buffer cap + 300 MB)`);
    c.check(complete === n, `every normal client received every broadcast (${complete}/${n})`);
    c.check(
      normals.every((s) => s.connected),
      "normal clients stay connected",
    );
    c.check(p.alive(), "platform alive");
    c.check(p.errorLines().length === 0, `no error lines (${p.errorLines()[0]?.raw ?? ""})`);
  } finally {
    if (slowProc) {
      try {
        process.kill(slowProc.pid, "SIGCONT");
      } catch {
        // gone
      }
      slowProc.kill("SIGKILL");
    }
    for (const s of normals) s.close();
    await p.stop();
    note("platform stopped");
  }
});
