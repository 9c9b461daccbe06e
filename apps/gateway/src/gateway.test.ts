import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { io as ioClient } from "socket.io-client";
import { SignJWT, UnsecuredJWT } from "jose";
import { ErrorCode } from "@rt/contracts";
import { startPlatform, emitAck, waitFor, expectNone, recorder, TEST_API_KEY, type TestPlatform } from "@rt/testkit";

describe("gateway", () => {
  let p: TestPlatform;
  beforeAll(async () => {
    p = await startPlatform({ env: { RATE_LIMIT_DEFAULT: "1000", RATE_LIMIT_TYPING: "1000" } });
  });
  afterAll(() => p.stop());

  /** A raw client whose connect outcome we inspect. */
  const attempt = (opts: Parameters<typeof ioClient>[1]) =>
    new Promise<{ ok: boolean; message?: string; data?: any }>((resolve) => {
      const s = ioClient(p.url, { reconnection: false, forceNew: true, transports: ["websocket"], ...opts });
      s.once("connect", () => {
        s.close();
        resolve({ ok: true });
      });
      s.once("connect_error", (e: any) => {
        s.close();
        resolve({ ok: false, message: e.message, data: e.data });
      });
    });

  describe("authentication", () => {
    test("a good token in auth, header or query connects", async () => {
      const t = await p.token({ sub: "u1" });
      expect((await attempt({ auth: { token: t } })).ok).toBe(true);
      expect((await attempt({ transports: ["polling"], extraHeaders: { authorization: `Bearer ${t}` } })).ok).toBe(true);
      expect((await attempt({ query: { token: t } })).ok).toBe(true);
    });

    test("missing, bad, expired, wrong-algorithm and spoofed tokens are refused with unauthorized", async () => {
      const key = new TextEncoder().encode(p.config.JWT_SECRET);
      const cases = {
        missing: {},
        garbage: { auth: { token: "not-a-jwt" } },
        none: { auth: { token: new UnsecuredJWT({ tenantId: p.tenant }).setSubject("u1").encode() } },
        wrongSecret: {
          auth: {
            token: await new SignJWT({})
              .setProtectedHeader({ alg: "HS256" })
              .setSubject("u1")
              .sign(new TextEncoder().encode("x".repeat(40))),
          },
        },
        hs512: { auth: { token: await new SignJWT({}).setProtectedHeader({ alg: "HS512" }).setSubject("u1").sign(key) } },
        expired: { auth: { token: await p.token({ sub: "u1", ttl: -5 }) } },
        notYet: { auth: { token: await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject("u1").setNotBefore("1h").sign(key) } },
        noSub: { auth: { token: await new SignJWT({ tenantId: "a" }).setProtectedHeader({ alg: "HS256" }).sign(key) } },
        tenantSpoof: { auth: { token: await p.token({ sub: "u1" }), tenantId: "someone-else" } },
        userSpoof: { auth: { token: await p.token({ sub: "u1" }), userId: "u2" } },
        twoTokens: { auth: { token: await p.token({ sub: "u1" }) }, query: { token: await p.token({ sub: "u2" }) } },
      };
      for (const [name, opts] of Object.entries(cases)) {
        const r = await attempt(opts);
        expect({ name, ok: r.ok, message: r.message, code: r.data?.code }).toEqual({ name, ok: false, message: "unauthorized", code: "UNAUTHENTICATED" });
      }
    });

    test("the seed's auth.userId / auth.tenantId matching the token are accepted", async () => {
      const t = await p.token({ sub: "5" });
      expect((await attempt({ auth: { token: t, userId: 5, tenantId: p.tenant } })).ok).toBe(true);
    });

    test("a socket is disconnected when its token expires", async () => {
      const s = await p.connect({ sub: "short", ttl: 2 });
      const err = waitFor(s, "error", { timeoutMs: 4000 });
      const gone = waitFor(s, "disconnect", { timeoutMs: 4000 });
      expect(await err).toMatchObject({ code: "UNAUTHENTICATED", message: "token expired" });
      expect(await gone).toBe("io server disconnect");
    });
  });

  describe("bad input", () => {
    test("unknown events, bad payloads, oversized payloads: typed errors, process keeps serving", async () => {
      const s = await p.connect({ sub: "fuzzer" });
      expect(await emitAck(s, "no-such-event", {})).toMatchObject({ ok: false, error: { code: "VALIDATION" } });
      expect(await emitAck(s, "message:send", { roomId: "abc", content: 5 })).toMatchObject({ ok: false, error: { code: "VALIDATION" } });
      expect(await emitAck(s, "join_room", null)).toMatchObject({ ok: false, error: { code: "VALIDATION" } });
      expect(await emitAck(s, "join_room", { roomId: { __proto__: { x: 1 } } })).toMatchObject({ ok: false, error: { code: "VALIDATION" } });
      const big = await emitAck(s, "message:send", { roomId: 1, content: "x".repeat(70 * 1024) });
      expect(big).toMatchObject({ ok: false, error: { code: "VALIDATION", message: "payload too large (max 64 KiB)" } });
      // Without an ack the failure arrives as an `error` event.
      const errEvt = waitFor(s, "error");
      s.emit("join_room", { roomId: -1 });
      expect(await errEvt).toMatchObject({ event: "join_room", code: "VALIDATION" });
      expect(await emitAck(s, "ping")).toMatchObject({ ok: true });
    });

    test("a frame over the hard cap closes only that connection", async () => {
      const s = await p.connect({ sub: "huge" });
      const other = await p.connect({ sub: "bystander" });
      const gone = waitFor(s, "disconnect", { timeoutMs: 5000 });
      s.emit("message:send", { roomId: 1, content: "x".repeat(2 * 1024 * 1024) });
      expect(typeof (await gone)).toBe("string");
      expect(await emitAck(other, "ping")).toMatchObject({ ok: true });
    });

    test("errors never leak internals", async () => {
      const s = await p.connect({ sub: "leak" });
      const replies = await Promise.all([
        emitAck(s, "message:edit", { messageId: 999999999, content: "x" }),
        emitAck(s, "message:send", { roomId: 99999999, content: "x" }),
        emitAck(s, "join_room", { roomId: "12345678901234567" }),
      ]);
      for (const r of replies) {
        expect(r.ok).toBe(false);
        if (!r.ok) {
          expect(ErrorCode.options).toContain(r.error.code);
          expect(r.error.message).not.toMatch(/select|insert|at .*\.ts|stack|postgres|drizzle/i);
        }
      }
    });
  });

  describe("presence", () => {
    test("user:online on the first socket, user:offline after the last; presence:list", async () => {
      const watcher = await p.connect({ sub: "watcher" });
      const online = waitFor(watcher, "user:online", { filter: (d: any) => d.userId === "tabs" });
      const tab1 = await p.connect({ sub: "tabs", name: "Tabby" });
      expect(await online).toMatchObject({ userId: "tabs", socketId: tab1.id });
      const rec = recorder(watcher);
      const tab2 = await p.connect({ sub: "tabs" });
      const list = await emitAck(watcher, "presence:list");
      expect(list.ok && (list.data as any).users.some((u: any) => u.userId === "tabs" && u.name === "Tabby")).toBe(true);
      tab1.close();
      await Bun.sleep(300);
      expect(rec.of("user:offline").filter((d: any) => d.userId === "tabs")).toEqual([]);
      expect(rec.of("user:online").filter((d: any) => d.userId === "tabs")).toEqual([]);
      const offline = waitFor(watcher, "user:offline", { filter: (d: any) => d.userId === "tabs" });
      tab2.close();
      expect(await offline).toMatchObject({ userId: "tabs" });
    });
  });

  describe("data sync, activity, ping (seed 001)", () => {
    test("Socket.IO also answers at /api/socket, and GET /api/socket reports the cluster count", async () => {
      const s = await p.connect({ sub: "seed1", path: "/api/socket", transports: ["polling", "websocket"] });
      const pong = waitFor(s, "pong");
      s.emit("ping");
      expect(await pong).toHaveProperty("timestamp");
      await Bun.sleep(50);
      const status = await (await p.fetch("/api/socket")).json();
      expect(status).toMatchObject({ success: true, message: "Socket.IO server status", available: true, path: "/api/socket" });
      expect(status.connectedClients).toBeGreaterThanOrEqual(1);
      expect(await (await p.fetch("/health")).json()).toMatchObject({ status: "ok" });
      expect(await (await p.fetch("/api/version")).json()).toHaveProperty("version");
    });

    test("join-user-room confirms only one's own room", async () => {
      const s = await p.connect({ sub: "me" });
      expect(await emitAck(s, "join-user-room", { userId: "me" })).toMatchObject({ ok: true });
      expect(await emitAck(s, "join-user-room", "me")).toMatchObject({ ok: true });
      expect(await emitAck(s, "join-user-room", { userId: "someone" })).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    });

    test("user:activity reaches the others of the tenant, not the sender", async () => {
      const a = await p.connect({ sub: "act-a", name: "Alice" });
      const b = await p.connect({ sub: "act-b" });
      const got = waitFor(b, "user:activity");
      const none = expectNone(a, "user:activity");
      expect(await emitAck(a, "user:activity", { action: "editing", entityType: "EquipmentItem", entityId: 7 })).toMatchObject({ ok: true });
      expect(await got).toMatchObject({ userId: "act-a", name: "Alice", action: "editing", entityType: "EquipmentItem", entityId: 7 });
      await none;
    });
  });

  describe("publish API", () => {
    test("202 with the key, 401 without or wrong, 400 on a bad or reserved envelope", async () => {
      const s = await p.connect({ sub: "pub-target" });
      const got = waitFor(s, "new_booking");
      const env = { tenantId: p.tenant, target: { kind: "user", id: "pub-target" }, event: "new_booking", data: { bookingId: 456 } };
      const ok = await p.fetch("/api/publish", { method: "POST", json: env, headers: { "x-api-key": TEST_API_KEY } });
      expect(ok.status).toBe(202);
      expect(await got).toMatchObject({ bookingId: 456 });
      expect((await p.fetch("/api/publish", { method: "POST", json: env })).status).toBe(401);
      expect((await p.fetch("/api/publish", { method: "POST", json: env, headers: { "x-api-key": "wrong-key-wrong-key" } })).status).toBe(401);
      const bad = await p.fetch("/api/publish", { method: "POST", json: { ...env, target: { kind: "planet" } }, headers: { "x-api-key": TEST_API_KEY } });
      expect(bad.status).toBe(400);
      expect((await bad.json()).error.code).toBe("VALIDATION");
      for (const event of ["connect", "disconnect", "error"]) {
        const r = await p.fetch("/api/publish", { method: "POST", json: { ...env, event }, headers: { "x-api-key": TEST_API_KEY } });
        expect(r.status).toBe(400);
      }
      const notJson = await p.fetch("/api/publish", { method: "POST", body: "{nope", headers: { "x-api-key": TEST_API_KEY, "content-type": "application/json" } });
      expect(notJson.status).toBe(400);
    });

    test("role and tenant targets; another tenant receives nothing", async () => {
      const admin = await p.connect({ sub: "adm", roles: ["admin"] });
      const plain = await p.connect({ sub: "plain" });
      const foreign = await p.connect({ sub: "adm", roles: ["admin"], tenantId: "other-tenant-x" });
      const foreignRec = recorder(foreign);
      const key = { "x-api-key": TEST_API_KEY };
      const toRole = waitFor(admin, "new_booking");
      const plainNone = expectNone(plain, "new_booking");
      await p.fetch("/api/publish", { method: "POST", headers: key, json: { tenantId: p.tenant, target: { kind: "role", id: "admin" }, event: "new_booking", data: { n: 1 } } });
      expect(await toRole).toMatchObject({ n: 1 });
      await plainNone;
      const sys = waitFor(plain, "system-notification");
      await p.fetch("/api/publish", {
        method: "POST",
        headers: key,
        json: { tenantId: p.tenant, target: { kind: "tenant" }, event: "system-notification", data: { title: "t", message: "m", level: "info" } },
      });
      expect(await sys).toMatchObject({ title: "t" });
      await Bun.sleep(200);
      // Only its own arrival may reach it (same user id, other tenant): nothing of the first tenant.
      const own = (e: { event: string; data: any }) => e.event === "notification:unread-count" || e.data?.socketId === foreign.id;
      expect(foreignRec.events.filter((e) => !own(e))).toEqual([]);
    });
  });

  describe("payments subscriptions (seed 002)", () => {
    test("admins get every update of the tenant, others only their own", async () => {
      const admin = await p.connect({ sub: "boss", roles: ["admin"] });
      const student = await p.connect({ sub: "stud", roles: ["student"] });
      const other = await p.connect({ sub: "other", roles: ["student"] });
      for (const s of [admin, student, other]) expect(await emitAck(s, "subscribe:payments")).toMatchObject({ ok: true });
      const adminRec = recorder(admin);
      const studentRec = recorder(student);
      const otherRec = recorder(other);
      const key = { "x-api-key": TEST_API_KEY };
      const update = (userId: string) => ({
        type: "payment_update",
        data: { invoiceId: `inv-${userId}`, status: "paid", amount: 10, userId },
        timestamp: new Date().toISOString(),
      });
      for (const u of ["stud", "other"]) {
        await p.fetch("/api/publish", { method: "POST", headers: key, json: { tenantId: p.tenant, target: { kind: "payments" }, event: "payment_update", data: update(u) } });
      }
      await Bun.sleep(300);
      expect(adminRec.of("payment_update").length).toBe(2);
      expect(studentRec.of("payment_update").map((d: any) => d.data.userId)).toEqual(["stud"]);
      expect(otherRec.of("payment_update").map((d: any) => d.data.userId)).toEqual(["other"]);
      expect(await emitAck(student, "unsubscribe:payments")).toMatchObject({ ok: true });
    });
  });

  describe("connection state recovery", () => {
    test("a client that drops gets what it missed, in order, and keeps its rooms", async () => {
      const t = await p.token({ sub: "flaky" });
      const s = ioClient(p.url, { auth: { token: t }, transports: ["websocket"], forceNew: true, reconnectionDelay: 500, reconnectionDelayMax: 600 });
      await waitFor(s, "connect");
      expect(await emitAck(s, "join-data-sync", { entityTypes: ["Rental"] })).toMatchObject({ ok: true });
      const key = { "x-api-key": TEST_API_KEY };
      const send = (n: number) =>
        p.fetch("/api/publish", { method: "POST", headers: key, json: { tenantId: p.tenant, target: { kind: "user", id: "flaky" }, event: "custom", data: { n } } });
      // A first packet gives the client an offset to resume from.
      const first = waitFor(s, "custom");
      await send(0);
      await first;
      const got: number[] = [];
      s.on("custom", (d: any) => got.push(d.n));
      (s.io as any).engine.close();
      const reconnected = waitFor(s, "connect", { timeoutMs: 5000 });
      await Bun.sleep(50);
      for (let n = 1; n <= 3; n++) await send(n);
      await reconnected;
      expect(s.recovered).toBe(true);
      await Bun.sleep(200);
      expect(got).toEqual([1, 2, 3]);
      s.close();
    });
  });
});

describe("gateway options", () => {
  test("AUTH_ANONYMOUS: only ping and authenticate until a token is given", async () => {
    const p = await startPlatform({ env: { AUTH_ANONYMOUS: "true" } });
    try {
      const s = await p.connect({ sub: "x", anonymous: true });
      expect(await emitAck(s, "ping")).toMatchObject({ ok: true });
      expect(await emitAck(s, "presence:list")).toMatchObject({ ok: false, error: { code: "UNAUTHENTICATED" } });
      const bad = waitFor(s, "authenticated");
      expect(await emitAck(s, "authenticate", "bad-token")).toMatchObject({ ok: false, error: { code: "UNAUTHENTICATED" } });
      expect(await bad).toMatchObject({ success: false });
      const good = waitFor(s, "authenticated");
      const t = await p.token({ sub: "anon-upgraded", roles: ["student"] });
      expect(await emitAck(s, "authenticate", t)).toMatchObject({ ok: true, data: { success: true } });
      expect(await good).toMatchObject({ success: true, user: { id: "anon-upgraded", name: "anon-upgraded", roles: ["student"], tenantId: p.tenant } });
      expect(await emitAck(s, "presence:list")).toMatchObject({ ok: true });
      // A socket cannot become another user.
      const other = await p.token({ sub: "someone-else" });
      expect(await emitAck(s, "authenticate", { token: other })).toMatchObject({ ok: false });
    } finally {
      await p.stop();
    }
  });

  test("rate limits answer RATE_LIMITED past the limit", async () => {
    const p = await startPlatform({ env: { RATE_LIMIT_TYPING: "3", RATE_LIMIT_DEFAULT: "5" } });
    try {
      const s = await p.connect({ sub: "spammy" });
      const codes: string[] = [];
      for (let i = 0; i < 7; i++) {
        const r = await emitAck(s, "ping");
        codes.push(r.ok ? "OK" : r.error.code);
      }
      expect(codes.filter((c) => c === "OK").length).toBe(5);
      expect(codes.slice(5)).toEqual(["RATE_LIMITED", "RATE_LIMITED"]);
    } finally {
      await p.stop();
    }
  });

  test("TEST_EVENTS=false hides test:* events; origin allowlist refuses other browsers", async () => {
    const p = await startPlatform({ env: { TEST_EVENTS: "false", ALLOWED_ORIGINS: "http://app.example" } });
    try {
      const s = await p.connect({ sub: "prod" });
      expect(await emitAck(s, "test:notification", { title: "x", message: "y" })).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
      const t = await p.token({ sub: "prod" });
      const tryOrigin = (origin: string) =>
        new Promise<boolean>((resolve) => {
          const c = ioClient(p.url, { auth: { token: t }, transports: ["polling"], extraHeaders: { origin }, reconnection: false, forceNew: true });
          c.once("connect", () => (c.close(), resolve(true)));
          c.once("connect_error", () => (c.close(), resolve(false)));
        });
      expect(await tryOrigin("http://app.example")).toBe(true);
      expect(await tryOrigin("http://evil.example")).toBe(false);
      // A cross-origin polling POST (CSRF-style) is refused before it reaches a session.
      const res = await fetch(`${p.url}/socket.io/?EIO=4&transport=polling&sid=whatever`, { method: "POST", headers: { origin: "http://evil.example" }, body: "40" });
      expect(res.status).toBeGreaterThanOrEqual(400);
    } finally {
      await p.stop();
    }
  });
});
