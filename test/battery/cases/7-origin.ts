/**
 * Case 7, Origin and transport: a browser handshake from a non-allowed Origin is refused on both
 * transports and both paths, polling and WebSocket authenticate the same way (token in auth,
 * header or query), and a cross-origin polling POST or GET on a live session (CSRF-style) is
 * refused and changes nothing. The gateway's own origin is never cross-site: with an allowlist of
 * other sites, a client sending `Origin: http://<gateway host:port>` (the /demo page, python-socketio)
 * still connects.
 */
import { io as ioClient } from "socket.io-client";
import { figure, note, runCase, sleep } from "../lib/common.ts";
import { spawnPlatform, type PlatformProcess } from "../lib/platform.ts";
import { RawSocket } from "../lib/raw-socket.ts";

const ALLOWED = "http://app.example";
const EVIL = ["http://evil.example", "null", "http://app.example.evil.com", "http://app.example:8080", "https://app.example", "http://evil.example/http://app.example"];

await runCase("7-origin", 150, async (c) => {
  const p = await spawnPlatform({ NODE_ENV: "production", ALLOWED_ORIGINS: ALLOWED });
  let same: PlatformProcess | undefined;
  try {
    const tenant = "origin-t";
    const token = await p.token({ sub: "ann", tenantId: tenant });
    let originTried = 0;
    let originRefused = 0;
    const originLeaks: string[] = [];

    /** Engine.IO polling handshake with an Origin header: the status and whether a session was opened. */
    const pollHandshake = async (base: string, origin: string | undefined, path = "/socket.io/") => {
      const r = await fetch(`${base}${path}?EIO=4&transport=polling`, { headers: origin ? { origin } : {} });
      const text = await r.text();
      return { status: r.status, opened: r.ok && text.startsWith("0"), text };
    };
    /** Raw WebSocket upgrade with an Origin header: whether the server sent the Engine.IO open packet. */
    const wsHandshake = (base: string, origin: string | undefined, path = "/socket.io/", query = "") =>
      new Promise<boolean>((resolve) => {
        const ws = new WebSocket(`${base.replace("http", "ws")}${path}?EIO=4&transport=websocket${query}`, { headers: origin ? { origin } : {} } as unknown as string[]);
        const timer = setTimeout(() => (ws.close(), resolve(false)), 5000);
        ws.onmessage = (e) => {
          clearTimeout(timer);
          ws.close();
          resolve(typeof e.data === "string" && e.data.startsWith("0"));
        };
        ws.onerror = () => (clearTimeout(timer), resolve(false));
        ws.onclose = () => (clearTimeout(timer), resolve(false));
      });

    for (const path of ["/socket.io/", "/api/socket/"]) {
      // Controls: the allowed origin and a non-browser client (no Origin) get a session.
      c.check((await pollHandshake(p.url, ALLOWED, path)).opened, `polling handshake from the allowed origin opens (${path})`);
      c.check((await pollHandshake(p.url, undefined, path)).opened, `polling handshake without Origin opens (${path})`);
      c.check(await wsHandshake(p.url, ALLOWED, path), `WebSocket handshake from the allowed origin opens (${path})`);
      c.check(await wsHandshake(p.url, undefined, path), `WebSocket handshake without Origin opens (${path})`);
      for (const origin of EVIL) {
        const poll = await pollHandshake(p.url, origin, path);
        const ws = await wsHandshake(p.url, origin, path);
        originTried += 2;
        if (!poll.opened && poll.status === 403) originRefused++;
        else originLeaks.push(`polling ${path} ${origin}: ${poll.status}`);
        if (!ws) originRefused++;
        else originLeaks.push(`websocket ${path} ${origin}`);
        // CORS must not hand the evil origin a read of anything.
        const pre = await fetch(`${p.url}${path}?EIO=4&transport=polling`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST" } });
        const acao = pre.headers.get("access-control-allow-origin");
        if (acao === origin || acao === "*") originLeaks.push(`preflight ${path} ${origin}: allow-origin ${acao}`);
      }
    }
    c.check(originLeaks.length === 0, `non-allowed origins got through: ${originLeaks.join("; ")}`);

    // The gateway's own origin with an allowlist of another site: same-origin is never refused.
    const self = `http://127.0.0.1:${p.port}`;
    let selfOpened = 0;
    for (const path of ["/socket.io/", "/api/socket/"]) {
      const poll = await pollHandshake(p.url, self, path);
      c.check(poll.opened, `polling handshake from the gateway's own origin opens with ALLOWED_ORIGINS=${ALLOWED} (${path}: ${poll.status})`);
      const raw = await RawSocket.open(p.wsUrl, { path, headers: { origin: self }, auth: { token } }).catch((err) => ({ connected: false, error: String(err), socket: undefined }));
      c.check(raw.connected, `WebSocket + CONNECT from the gateway's own origin connects (${path}: ${JSON.stringify(raw.error ?? null)})`);
      raw.socket?.close();
      selfOpened += (poll.opened ? 1 : 0) + (raw.connected ? 1 : 0);
    }
    figure(`origin own_origin_with_allowlist opened=${selfOpened}/4`);
    figure(`origin handshakes_refused=${originRefused}/${originTried} (polling+websocket, /socket.io and /api/socket, ${EVIL.length} origins)`);

    // The same credentials on every transport: the outcome must not depend on the transport.
    const expired = await p.token({ sub: "ann", tenantId: tenant, ttl: -10 });
    const other = await p.token({ sub: "bob", tenantId: tenant });
    const creds: Record<string, { auth?: Record<string, unknown>; query?: Record<string, string>; headers?: Record<string, string>; expect: boolean }> = {
      "valid in auth": { auth: { token }, expect: true },
      "valid in header": { headers: { authorization: `Bearer ${token}` }, expect: true },
      "valid in query": { query: { token }, expect: true },
      none: { expect: false },
      "expired in auth": { auth: { token: expired }, expect: false },
      "expired in header": { headers: { authorization: `Bearer ${expired}` }, expect: false },
      "expired in query": { query: { token: expired }, expect: false },
      "garbage in auth": { auth: { token: "x.y.z" }, expect: false },
      "tenant spoofed": { auth: { token, tenantId: "other" }, expect: false },
      "auth and query disagree": { auth: { token }, query: { token: other }, expect: false },
    };
    const transports = { websocket: ["websocket"], polling: ["polling"], "polling->websocket": ["polling", "websocket"] } as const;
    let same_ = 0;
    let combos = 0;
    const differ: string[] = [];
    for (const [name, cr] of Object.entries(creds)) {
      for (const [tname, t] of Object.entries(transports)) {
        // Browsers cannot set headers on a WebSocket, but Node/Bun clients can: check it the same way.
        const r = await new Promise<{ ok: boolean; user?: string; transport?: string }>((resolve) => {
          const s = ioClient(p.url, { transports: [...t], auth: cr.auth ?? {}, query: cr.query, extraHeaders: cr.headers, reconnection: false, forceNew: true, timeout: 8000 });
          s.once("connect", async () => {
            if (tname === "polling->websocket") await new Promise<void>((res) => (s.io.engine.transport.name === "websocket" ? res() : s.io.engine.once("upgrade", () => res())));
            const me = (await s
              .timeout(5000)
              .emitWithAck("join-user-room", {})
              .catch(() => null)) as { data?: { userId?: string } } | null;
            const transport = s.io.engine.transport.name;
            s.close();
            resolve({ ok: true, user: me?.data?.userId, transport });
          });
          s.once("connect_error", () => (s.close(), resolve({ ok: false })));
        });
        combos++;
        const right = r.ok === cr.expect && (!r.ok || r.user === "ann");
        if (right) same_++;
        else differ.push(`${name} over ${tname}: ${JSON.stringify(r)}`);
        if (r.ok && tname === "polling->websocket" && r.transport !== "websocket") differ.push(`${name}: did not upgrade`);
      }
    }
    c.check(differ.length === 0, `transports disagree: ${differ.join("; ")}`);
    figure(`origin transports_consistent=${same_}/${combos} (${Object.keys(creds).length} credentials x websocket, polling, polling->websocket)`);

    // CSRF-style: a live polling session of ann, in a room; an evil page POSTs and GETs on its sid.
    const room = (await (
      await fetch(`${p.url}/api/chat/rooms`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "csrf", memberIds: [] }),
      })
    ).json()) as { id: number };
    const victim = ioClient(p.url, { transports: ["polling"], auth: { token }, reconnection: false, forceNew: true, extraHeaders: { origin: ALLOWED } });
    await new Promise<void>((resolve, reject) => {
      victim.once("connect", () => resolve());
      victim.once("connect_error", reject);
    });
    c.check(((await victim.timeout(5000).emitWithAck("join_room", { roomId: room.id })) as { ok: boolean }).ok, "victim joins its room");
    const sid = victim.io.engine.id;
    let csrfRefused = 0;
    let csrfTried = 0;
    for (const origin of EVIL) {
      const post = await fetch(`${p.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
        method: "POST",
        headers: { origin, "content-type": "text/plain;charset=UTF-8" },
        body: `42["message:send",{"roomId":${room.id},"content":"csrf from ${origin}"}]`,
      });
      const get = await fetch(`${p.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { headers: { origin } });
      const upgrade = await wsHandshake(p.url, origin, "/socket.io/", `&sid=${sid}`);
      csrfTried += 3;
      if (post.status === 403) csrfRefused++;
      if (get.status === 403) csrfRefused++;
      if (!upgrade) csrfRefused++;
    }
    await sleep(300);
    const history = (await (await fetch(`${p.url}/api/chat/rooms/${room.id}/messages`, { headers: { authorization: `Bearer ${token}` } })).json()) as { messages: unknown[] };
    c.check(history.messages.length === 0, `no message stored by cross-origin POSTs (found ${history.messages.length})`);
    c.check(victim.connected, "the victim's session survives the attempts");
    c.check(((await victim.timeout(5000).emitWithAck("ping")) as { ok: boolean }).ok, "the victim's session still works");
    victim.close();
    figure(`origin csrf_refused=${csrfRefused}/${csrfTried} stored=${history.messages.length}`);
    c.check(csrfRefused === csrfTried, "every cross-origin POST/GET/upgrade on a live sid is refused");

    // An empty allowlist: the gateway's own origin only.
    same = await spawnPlatform({ NODE_ENV: "production" });
    const own = `http://127.0.0.1:${same.port}`;
    c.check((await pollHandshake(same.url, own)).opened, "empty allowlist: same-origin polling opens");
    c.check(await wsHandshake(same.url, own), "empty allowlist: same-origin WebSocket opens");
    let sameRefused = 0;
    const foreign = [...EVIL, `http://localhost:${same.port}`, ALLOWED];
    for (const origin of foreign) {
      if ((await pollHandshake(same.url, origin)).status === 403) sameRefused++;
      if (!(await wsHandshake(same.url, origin))) sameRefused++;
    }
    figure(`origin same_origin_only refused=${sameRefused}/${foreign.length * 2}`);
    c.check(sameRefused === foreign.length * 2, "empty allowlist refuses every other origin");
    for (const q of [p, same]) c.check(q.errorLines().length === 0, `no error lines (${q.errorLines()[0]?.raw ?? ""})`);
  } finally {
    await p.stop();
    await same?.stop();
    note("platforms stopped");
  }
});
