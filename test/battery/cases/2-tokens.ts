/**
 * Case 2, token matrix: every forged, confused, stale or spoofed credential is refused on every
 * path that takes one (WebSocket and polling handshakes with the token in auth, header or query,
 * REST bearer, the `authenticate` event), and a live socket is disconnected within 1 s of `exp`.
 * Tokens without `exp`, or living longer than JWT_MAX_AGE (24 h), are refused on every path too.
 * Credential endpoints: `/demo/token` never mints with a real secret (production, the default
 * platform, DEMO=true with a non-dev secret); `/metrics` is not on the public port in production.
 * Knobs: BATTERY_EXPIRY_SOCKETS (sockets whose token expires mid-session, default 12).
 */
import { generateKeyPair, exportSPKI, SignJWT, UnsecuredJWT } from "jose";
import { io as ioClient } from "socket.io-client";
import { DEV_JWT_SECRET } from "@rt/service-kit";
import { figure, note, percentile, runCase, size } from "../lib/common.ts";
import { JWT_SECRET, spawnPlatform } from "../lib/platform.ts";

type Attempt = { ok: boolean; code?: string; message?: string };

await runCase("2-tokens", 150, async (c) => {
  const p = await spawnPlatform({ NODE_ENV: "production" });
  try {
    const tenant = "tok-acme";
    const key = new TextEncoder().encode(JWT_SECRET);
    const now = () => Math.floor(Date.now() / 1000);
    const claims = { tenantId: tenant, roles: ["admin"], name: "Eve" };
    const good = (sub = "eve", extra: Record<string, unknown> = {}) =>
      new SignJWT({ ...claims, ...extra })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime(now() + 600)
        .sign(key);
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const valid = await good();
    const [vh, , vs] = valid.split(".");
    const { privateKey, publicKey } = await generateKeyPair("RS256");
    const pem = await exportSPKI(publicKey);

    // Each entry: a name and the handshake it makes (auth, query, headers).
    type Hs = { auth?: Record<string, unknown>; query?: Record<string, string>; headers?: Record<string, string> };
    const tok = (t: string): Hs => ({ auth: { token: t } });
    const forged: Record<string, string> = {
      "alg none": new UnsecuredJWT({ ...claims })
        .setSubject("eve")
        .setExpirationTime(now() + 600)
        .encode(),
      "alg none, HS256 signature kept": `${b64({ alg: "none", typ: "JWT" })}.${b64({ ...claims, sub: "eve", exp: now() + 600 })}.${vs}`,
      "alg NONE upper": `${b64({ alg: "NONE" })}.${b64({ ...claims, sub: "eve", exp: now() + 600 })}.`,
      RS256: await new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256" })
        .setSubject("eve")
        .setExpirationTime(now() + 600)
        .sign(privateKey),
      "RS256 header, HMAC with the server secret": await hmacWithHeader({ alg: "RS256", typ: "JWT" }, { ...claims, sub: "eve", exp: now() + 600 }, key),
      "HS256 keyed with the RSA public key (confusion)": await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("eve")
        .setExpirationTime(now() + 600)
        .sign(new TextEncoder().encode(pem)),
      "HS384 right secret": await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS384" })
        .setSubject("eve")
        .setExpirationTime(now() + 600)
        .sign(key),
      "HS512 right secret": await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS512" })
        .setSubject("eve")
        .setExpirationTime(now() + 600)
        .sign(key),
      "wrong secret": await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("eve")
        .setExpirationTime(now() + 600)
        .sign(new TextEncoder().encode("x".repeat(40))),
      "embedded jwk, attacker key": await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256", jwk: { kty: "oct", k: Buffer.from("attacker-secret-attacker-secret!").toString("base64url") } as never })
        .setSubject("eve")
        .setExpirationTime(now() + 600)
        .sign(new TextEncoder().encode("attacker-secret-attacker-secret!")),
      "unknown crit header": await hmacWithHeader({ alg: "HS256", crit: ["x-evil"], "x-evil": 1 }, { ...claims, sub: "eve", exp: now() + 600 }, key),
      expired: await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("eve")
        .setExpirationTime(now() - 5)
        .sign(key),
      "expired 1 s ago": await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("eve")
        .setExpirationTime(now() - 1)
        .sign(key),
      "exp as a string": await hmacWithHeader({ alg: "HS256" }, { ...claims, sub: "eve", exp: String(now() + 600) }, key),
      "no exp": await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setSubject("eve").setIssuedAt().sign(key),
      "no exp, no iat": await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setSubject("eve").sign(key),
      "lives 30 days (over JWT_MAX_AGE)": await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("eve")
        .setIssuedAt()
        .setExpirationTime(now() + 30 * 86_400)
        .sign(key),
      "no iat, exp in 30 days": await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("eve")
        .setExpirationTime(now() + 30 * 86_400)
        .sign(key),
      "issued 2 days ago, 1 h left": await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("eve")
        .setIssuedAt(now() - 2 * 86_400)
        .setExpirationTime(now() + 3600)
        .sign(key),
      "iat 10 years ahead, exp 1 min after it": await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("eve")
        .setIssuedAt(now() + 10 * 365 * 86_400)
        .setExpirationTime(now() + 10 * 365 * 86_400 + 60)
        .sign(key),
      "not yet valid (nbf +1h)": await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("eve")
        .setNotBefore("1h")
        .setExpirationTime(now() + 7200)
        .sign(key),
      "missing sub": await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256" })
        .setExpirationTime(now() + 600)
        .sign(key),
      "empty sub": await hmacWithHeader({ alg: "HS256" }, { ...claims, sub: "", exp: now() + 600 }, key),
      "sub is an object": await hmacWithHeader({ alg: "HS256" }, { ...claims, sub: { id: "eve" }, exp: now() + 600 }, key),
      "sub over 128 chars": await good("e".repeat(129)),
      "tenantId a number": await hmacWithHeader({ alg: "HS256" }, { ...claims, tenantId: 7, sub: "eve", exp: now() + 600 }, key),
      "roles a string": await hmacWithHeader({ alg: "HS256" }, { ...claims, roles: "admin", sub: "eve", exp: now() + 600 }, key),
      "payload swapped, signature kept": `${vh}.${b64({ ...claims, tenantId: "other-tenant", sub: "eve", exp: now() + 600 })}.${vs}`,
      "signature truncated": valid.slice(0, -4),
      "signature removed": `${vh}.${valid.split(".")[1]}.`,
      "two segments": valid.split(".").slice(0, 2).join("."),
      garbage: "not-a-jwt",
      "Bearer prefix inside auth.token": `Bearer ${valid}`.replace(valid, "x.y.z"),
      "16 KiB of junk": "a".repeat(16 * 1024),
    };

    const handshakes: Record<string, Hs> = {};
    for (const [name, t] of Object.entries(forged)) handshakes[name] = tok(t);
    const other = await good("mallory");
    Object.assign(handshakes, {
      "no token": {},
      "tenant spoofed in auth": { auth: { token: valid, tenantId: "someone-else" } },
      "tenant spoofed in auth (number)": { auth: { token: valid, tenantId: 1 } },
      "userId spoofed in auth": { auth: { token: valid, userId: "mallory" } },
      "query token differs from auth token": { auth: { token: valid }, query: { token: other } },
      "header token differs from auth token": { auth: { token: valid }, headers: { authorization: `Bearer ${other}` } },
      "query token differs from header token": { query: { token: valid }, headers: { authorization: `Bearer ${other}` } },
      "bad token in query, good in auth": { auth: { token: valid }, query: { token: "x.y.z" } },
    } satisfies Record<string, Hs>);

    const attempt = (hs: Hs, transport: "websocket" | "polling", path = "/socket.io/") =>
      new Promise<Attempt>((resolve) => {
        const s = ioClient(p.url, {
          path,
          transports: [transport],
          auth: hs.auth ?? {},
          query: hs.query,
          extraHeaders: hs.headers,
          reconnection: false,
          forceNew: true,
          timeout: 8000,
        });
        const done = (r: Attempt) => {
          s.close();
          resolve(r);
        };
        s.once("connect", () => done({ ok: true }));
        s.once("connect_error", (e: Error & { data?: { code?: string } }) => done({ ok: false, code: e.data?.code, message: e.message }));
      });

    // The control: the real token connects on both transports, so refusals below mean something.
    for (const t of ["websocket", "polling"] as const) c.check((await attempt(tok(valid), t)).ok, `control: a valid token connects over ${t}`);

    let tried = 0;
    let refused = 0;
    let typed = 0;
    const accepted: string[] = [];
    const untyped: string[] = [];
    const record = (what: string, r: Attempt) => {
      tried++;
      if (!r.ok) refused++;
      else accepted.push(what);
      if (!r.ok && r.message === "unauthorized" && r.code === "UNAUTHENTICATED") typed++;
      else if (!r.ok) untyped.push(`${what}: ${r.message}`);
    };
    for (const [name, hs] of Object.entries(handshakes)) {
      for (const transport of ["websocket", "polling"] as const) record(`${name} / ${transport}`, await attempt(hs, transport));
      // The seed-001 path is the same server.
      record(`${name} / websocket /api/socket`, await attempt(hs, "websocket", "/api/socket"));
    }
    // The same forged tokens as a header-only and a query-only credential (polling: headers reach the server).
    for (const [name, t] of Object.entries(forged)) {
      record(`${name} / Authorization header`, await attempt({ headers: { authorization: `Bearer ${t}` } }, "polling"));
      record(`${name} / token query`, await attempt({ query: { token: t } }, "websocket"));
    }
    // REST with a bearer.
    let restTried = 0;
    let restRefused = 0;
    for (const [name, t] of Object.entries(forged)) {
      const r = await fetch(`${p.url}/api/chat/rooms`, { headers: { authorization: `Bearer ${t}` } });
      restTried++;
      const body = (await r.json().catch(() => null)) as { error?: { code?: string } } | null;
      // 401 UNAUTHENTICATED from the gateway, or Bun's own 431 for a header too large to read.
      if ((r.status === 401 && body?.error?.code === "UNAUTHENTICATED") || r.status === 431) restRefused++;
      else accepted.push(`${name} / REST (${r.status})`);
    }
    // `authenticate` on a live socket: refused, and the socket keeps its identity.
    const live = ioClient(p.url, { transports: ["websocket"], auth: { token: valid }, reconnection: false, forceNew: true });
    await new Promise<void>((resolve, reject) => {
      live.once("connect", () => resolve());
      live.once("connect_error", reject);
    });
    let authTried = 0;
    let authRefused = 0;
    const asOther = { ...forged, "a valid token of another user": other, "a valid token of another tenant": await good("eve", { tenantId: "other-tenant" }) };
    for (const [name, t] of Object.entries(asOther)) {
      const ack = (await live
        .timeout(5000)
        .emitWithAck("authenticate", { token: t })
        .catch(() => null)) as { ok?: boolean; error?: { code?: string } } | null;
      authTried++;
      // UNAUTHENTICATED, or VALIDATION for a "token" longer than the contract's 8 KiB.
      if (ack?.ok === false && (ack.error?.code === "UNAUTHENTICATED" || ack.error?.code === "VALIDATION")) authRefused++;
      else accepted.push(`${name} / authenticate event`);
    }
    const me = (await live.timeout(5000).emitWithAck("join-user-room", {})) as { ok: boolean; data?: { userId?: string } };
    c.check(me.ok && me.data?.userId === "eve", `after refused authenticate calls the socket is still eve (${JSON.stringify(me)})`);
    live.close();
    // The dev token endpoint does not exist in production.
    const demo = await fetch(`${p.url}/demo/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ sub: "x" }) });
    c.check(demo.status === 404, `POST /demo/token is 404 in production (got ${demo.status})`);
    // Prometheus: not on the public port in production, on the ops port instead.
    const pubMetrics = (await fetch(`${p.url}/metrics`)).status;
    const opsMetrics = await fetch(`${p.opsUrl}/metrics`).then(
      async (r) => ({ status: r.status, text: await r.text() }),
      (err) => ({ status: 0, text: String(err) }),
    );
    c.check(pubMetrics === 404, `GET /metrics on the public port is 404 in production (got ${pubMetrics})`);
    c.check(opsMetrics.status === 200 && opsMetrics.text.includes("rt_gateway_connected_sockets"), `GET /metrics on OPS_PORT answers (got ${opsMetrics.status})`);
    await demoMinting(c);

    const total = tried + restTried + authTried;
    const totalRefused = refused + restRefused + authRefused;
    figure(
      `tokens handshakes=${tried} refused=${refused} typed=${typed} rest=${restRefused}/${restTried} authenticate=${authRefused}/${authTried} total=${totalRefused}/${total} (${((100 * totalRefused) / total).toFixed(1)}% refused)`,
    );
    c.check(accepted.length === 0, `accepted forged credentials: ${accepted.slice(0, 8).join("; ")}`);
    // A credential too large for a URL or a header is refused by the HTTP layer before Socket.IO sees it.
    const transportRefusals = untyped.filter((u) => u.startsWith("16 KiB of junk / "));
    if (transportRefusals.length) note(`refused before Socket.IO (too large for a URL/header): ${transportRefusals.join("; ")}`);
    c.check(typed + transportRefusals.length === refused, `every refused handshake is connect_error "unauthorized" with code UNAUTHENTICATED: ${untyped.join("; ")}`);

    // Mid-session expiry: sockets on both transports, plus sockets that moved to a shorter token.
    const n = size("EXPIRY_SOCKETS", 12, 6);
    const lags: number[] = [];
    const late: string[] = [];
    const expiring = Array.from({ length: n }, async (_, i) => {
      const transport = i % 2 === 0 ? "websocket" : "polling";
      const ttl = 2 + (i % 3);
      const viaAuthenticate = i % 3 === 2;
      let last = "";
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256" })
        .setSubject(`exp-${i}`)
        .setExpirationTime(now() + (viaAuthenticate ? 600 : ttl))
        .sign(key);
      const s = ioClient(p.url, { transports: [transport], auth: { token }, reconnection: false, forceNew: true });
      await new Promise<void>((resolve, reject) => {
        s.once("connect", () => resolve());
        s.once("connect_error", reject);
      });
      let exp = 0;
      if (viaAuthenticate) {
        // A refresh to a token that expires sooner moves the deadline.
        exp = now() + ttl;
        const shorter = await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setSubject(`exp-${i}`).setExpirationTime(exp).sign(key);
        last = shorter;
        const ack = (await s.timeout(5000).emitWithAck("authenticate", shorter)) as { ok: boolean };
        c.check(ack.ok, `authenticate with a shorter token of the same user is accepted (socket ${i})`);
      } else {
        exp = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).exp;
        last = token;
      }
      const reason = await new Promise<string>((resolve) => {
        const timer = setTimeout(() => resolve("still connected"), (ttl + 4) * 1000);
        s.once("disconnect", (r) => {
          clearTimeout(timer);
          resolve(r);
        });
      });
      const lag = Date.now() - exp * 1000;
      lags.push(lag);
      if (reason !== "io server disconnect" || lag > 1000 || lag < -50) late.push(`${transport}#${i}: ${reason}, ${lag} ms after exp`);
      s.close();
      // Coming back with the same (now expired) token is refused, recovery or not.
      const again = await attempt(tok(last), transport);
      if (again.ok) late.push(`${transport}#${i}: reconnected with its expired token`);
    });
    await Promise.all(expiring);
    figure(`tokens expiry sockets=${n} disconnected_within_1s=${n - late.length} max_lag_ms=${Math.max(...lags)} p50_lag_ms=${percentile(lags, 50)}`);
    c.check(late.length === 0, `expiry: ${late.join("; ")}`);
    c.check(p.alive(), "platform still running");
    c.check(p.errorLines().length === 0, `no error lines in the platform log (${p.errorLines().length}: ${p.errorLines()[0]?.raw ?? ""})`);
  } finally {
    await p.stop();
    note("platform stopped");
  }
});

/**
 * `bun run dev` (the platform's main, not production) with three settings: only the built-in dev
 * secret mints demo tokens; a real secret never does, even with DEMO=true.
 */
async function demoMinting(c: { check(ok: boolean, what: string): void }) {
  const settings: Array<{ name: string; env: Record<string, string>; mints: boolean }> = [
    { name: "dev secret, DEMO unset (bun run dev turns it on)", env: { JWT_SECRET: DEV_JWT_SECRET }, mints: true },
    { name: "real secret, DEMO unset", env: {}, mints: false },
    { name: "real secret, DEMO=true", env: { DEMO: "true" }, mints: false },
  ];
  const minted: string[] = [];
  for (const s of settings) {
    const q = await spawnPlatform({ NODE_ENV: "development", ...s.env });
    try {
      const r = await fetch(`${q.url}/demo/token`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ sub: "mallory", tenantId: "victim", roles: ["admin"] }),
      });
      c.check((r.status === 200) === s.mints, `${s.name}: POST /demo/token ${s.mints ? "mints" : "is 404"} (got ${r.status})`);
      if (r.status === 200) minted.push(s.name);
    } finally {
      await q.stop();
    }
  }
  figure(`tokens demo_minting=${minted.length}/${settings.length} (only: ${minted.join(", ") || "none"})`);
}

/** A JWS with any protected header, HMAC-SHA256 over it with `key` (jose refuses to build these). */
async function hmacWithHeader(header: Record<string, unknown>, payload: Record<string, unknown>, key: Uint8Array): Promise<string> {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const input = `${b64(header)}.${b64(payload)}`;
  const k = await crypto.subtle.importKey("raw", new Uint8Array(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const sig = Buffer.from(await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(input))).toString("base64url");
  return `${input}.${sig}`;
}
