import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { io as ioClient } from "socket.io-client";
import { startPlatform, type TestPlatform } from "@rt/testkit";

/** Issue 12 item 11: per-IP handshake rate and sockets per user, refused with a typed connect_error. */
type Outcome = { ok: boolean; message?: string; code?: string; retryAfterMs?: number };

function attempt(url: string, token: string, headers: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    // Polling: socket.io-client sends extraHeaders on its HTTP requests (Bun's WebSocket would not).
    const s = ioClient(url, { reconnection: false, forceNew: true, transports: ["polling"], upgrade: false, auth: { token }, extraHeaders: headers });
    s.once("connect", () => resolve({ ok: true }));
    s.once("connect_error", (e: any) => {
      s.close();
      resolve({ ok: false, message: e.message, code: e.data?.code, retryAfterMs: e.data?.retryAfterMs });
    });
    opened.push(s);
  });
}
const opened: Array<{ close(): void }> = [];
const closeAll = () => {
  for (const s of opened.splice(0)) s.close();
};

describe("behind a trusted proxy (X-Forwarded-For honoured)", () => {
  let p: TestPlatform;
  beforeAll(async () => {
    p = await startPlatform({
      inProcess: true,
      env: { RATE_LIMIT_HANDSHAKE: "50", MAX_SOCKETS_PER_USER: "10", TRUSTED_PROXIES: "127.0.0.1,::1,10.0.0.0/8" },
    });
  });
  afterAll(async () => {
    closeAll();
    await p.stop();
  });

  test("200 handshakes from one client address in < 1 s: the excess is refused with RATE_LIMITED; another address still connects", async () => {
    const tokens = await Promise.all(Array.from({ length: 200 }, (_, i) => p.token({ sub: `flood-${i}` })));
    const xff = { "x-forwarded-for": "203.0.113.7" };
    const started = performance.now();
    const outcomes = await Promise.all(tokens.map((t) => attempt(p.url, t, xff)));
    const seconds = (performance.now() - started) / 1000;
    const accepted = outcomes.filter((o) => o.ok).length;
    const refused = outcomes.filter((o) => !o.ok);
    console.log(`handshake flood: ${accepted} accepted, ${refused.length} refused in ${seconds.toFixed(2)} s`);
    // 50 per minute, plus what refilled while the flood ran.
    expect(accepted).toBeGreaterThanOrEqual(50);
    expect(accepted).toBeLessThanOrEqual(50 + Math.ceil(seconds * (50 / 60)) + 1);
    for (const r of refused) {
      expect(r).toMatchObject({ ok: false, code: "RATE_LIMITED", message: "too many connection attempts from this address" });
      expect(r.retryAfterMs).toBeGreaterThan(0);
    }
    // Via a chain of trusted proxies the client is the right-most untrusted address.
    expect(await attempt(p.url, await p.token({ sub: "other-ip" }), { "x-forwarded-for": "198.51.100.9, 10.1.2.3" })).toEqual({ ok: true });
    closeAll();
  });

  test("an 11th socket of one user is refused (max 10 per gateway); closing one makes room", async () => {
    const token = await p.token({ sub: "many-tabs" });
    const xff = { "x-forwarded-for": "198.51.100.20" };
    const first: Outcome[] = [];
    for (let i = 0; i < 10; i++) first.push(await attempt(p.url, token, xff));
    expect(first.every((o) => o.ok)).toBe(true);
    const eleventh = await attempt(p.url, token, xff);
    expect(eleventh).toMatchObject({ ok: false, code: "RATE_LIMITED", message: "too many connections for this user (max 10)" });
    // Another user of the same tenant is not affected.
    expect(await attempt(p.url, await p.token({ sub: "someone-else" }), xff)).toEqual({ ok: true });
    opened[0]!.close();
    await Bun.sleep(300);
    expect(await attempt(p.url, token, xff)).toEqual({ ok: true });
    closeAll();
  });

  test("concurrent handshakes of one user cannot slip past the cap", async () => {
    const token = await p.token({ sub: "burst-tabs" });
    const outcomes = await Promise.all(Array.from({ length: 25 }, () => attempt(p.url, token, { "x-forwarded-for": "198.51.100.30" })));
    expect(outcomes.filter((o) => o.ok).length).toBe(10);
    closeAll();
  });
});

describe("without trusted proxies", () => {
  let p: TestPlatform;
  beforeAll(async () => {
    p = await startPlatform({ inProcess: true, env: { RATE_LIMIT_HANDSHAKE: "30" } });
  });
  afterAll(async () => {
    closeAll();
    await p.stop();
  });

  test("X-Forwarded-For from an untrusted peer is ignored: a different forged address per handshake does not escape the per-IP limit", async () => {
    const tokens = await Promise.all(Array.from({ length: 60 }, (_, i) => p.token({ sub: `forger-${i}` })));
    const outcomes = await Promise.all(tokens.map((t, i) => attempt(p.url, t, { "x-forwarded-for": `192.0.2.${i + 1}` })));
    const accepted = outcomes.filter((o) => o.ok).length;
    expect(accepted).toBeGreaterThanOrEqual(30);
    expect(accepted).toBeLessThanOrEqual(33);
    expect(outcomes.find((o) => !o.ok)).toMatchObject({ code: "RATE_LIMITED" });
    closeAll();
  });
});
