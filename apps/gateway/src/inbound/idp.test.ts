import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import { io as ioClient } from "socket.io-client";
import { emitAck, idpToken, signingKey, startJwksServer, startPlatform, waitFor, type JwksServer, type SigningKey, type TestPlatform } from "@rt/testkit";

/** Handshake result of one raw socket (the testkit's connect mints HS256 tokens). */
function attempt(url: string, token: string): Promise<{ ok: boolean; message?: string; socket: ReturnType<typeof ioClient> }> {
  const s = ioClient(url, { auth: { token }, transports: ["websocket"], reconnection: false, forceNew: true });
  return new Promise((resolve) => {
    s.once("connect", () => resolve({ ok: true, socket: s }));
    s.once("connect_error", (e) => resolve({ ok: false, message: e.message, socket: s }));
  });
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const COOLDOWN_MS = 200;

describe("tokens from an identity provider's JWKS: rotation without restart", () => {
  let idp: JwksServer;
  let p: TestPlatform;
  let oldKey: SigningKey;
  let newKey: SigningKey;
  const opened: ReturnType<typeof ioClient>[] = [];
  const connect = async (token: string) => {
    const r = await attempt(p.url, token);
    opened.push(r.socket);
    return r;
  };

  beforeAll(async () => {
    oldKey = await signingKey("RS256");
    newKey = await signingKey("EdDSA");
    idp = startJwksServer([oldKey]);
    p = await startPlatform({ env: { JWT_JWKS_URL: idp.url, JWT_JWKS_COOLDOWN_MS: String(COOLDOWN_MS) } });
  }, 60_000);
  afterAll(async () => {
    for (const s of opened) s.close();
    await p.stop();
    await idp.stop();
  });

  test("old-key sockets keep working until expiry, new-key tokens are accepted, unknown keys refused", async () => {
    const claims = { tenantId: p.tenant, roles: ["admin"], name: "Ann" };
    // Short-lived so its expiry falls inside the test.
    const before = await connect(await idpToken(oldKey, claims, { sub: "ann", ttl: 4 }));
    expect(before.ok).toBe(true);

    idp.publish([newKey]); // the provider rotates: the old key is gone from the set
    await sleep(COOLDOWN_MS + 50);

    const after = await connect(await idpToken(newKey, claims, { sub: "bob" }));
    expect(after.ok).toBe(true);
    // The socket of the old key still works: acks, and deliveries from the new-key user's actions.
    expect((await emitAck(before.socket, "ping")).ok).toBe(true);

    // REST bearer and `authenticate` take the new key as well.
    const rest = await p.fetch("/api/notifications", { token: await idpToken(newKey, claims, { sub: "bob" }) });
    expect(rest.status).not.toBe(401);
    expect((await emitAck(after.socket, "authenticate", { token: await idpToken(newKey, claims, { sub: "bob" }) })).ok).toBe(true);

    // A key the provider never published: refused everywhere.
    const stranger = await signingKey("RS256", oldKey.kid === "x" ? "y" : "x");
    const forged = await idpToken(stranger, claims, { sub: "mallory" });
    expect(await connect(forged)).toMatchObject({ ok: false, message: "unauthorized" });
    expect((await p.fetch("/api/notifications", { token: forged })).status).toBe(401);
    expect(await emitAck(after.socket, "authenticate", { token: forged })).toMatchObject({ ok: false, error: { code: "UNAUTHENTICATED" } });
    // The dropped key no longer opens new sockets.
    await sleep(COOLDOWN_MS + 50);
    expect(await connect(await idpToken(oldKey, claims, { sub: "ann" }))).toMatchObject({ ok: false, message: "unauthorized" });

    // ...and the old socket ends at its token's expiry, like any other.
    const expired = await waitFor(before.socket, "disconnect", { timeoutMs: 8000 });
    expect(expired).toBe("io server disconnect");
    expect(after.socket.connected).toBe(true);
  }, 30_000);

  test("HS256 tokens (even with the built-in dev secret) are refused when only a key set is configured", async () => {
    const dev = await new SignJWT({ tenantId: p.tenant })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("u1")
      .setExpirationTime("10m")
      .sign(new TextEncoder().encode("dev-secret-change-me-dev-secret-change-me"));
    expect(await connect(dev)).toMatchObject({ ok: false, message: "unauthorized" });
  });
});

describe("a token without a tenant claim", () => {
  const noTenant = async (p: TestPlatform) =>
    new SignJWT({ name: "Ann" }).setProtectedHeader({ alg: "HS256" }).setSubject("ann").setIssuedAt().setExpirationTime("10m").sign(new TextEncoder().encode(p.config.JWT_SECRET!));

  test("is refused at the handshake and over REST (no fallback tenant)", async () => {
    const p = await startPlatform({ env: { JWT_SECRET: "tenant-test-secret-0123456789abcdef" } });
    try {
      const t = await noTenant(p);
      const r = await attempt(p.url, t);
      r.socket.close();
      expect(r).toMatchObject({ ok: false, message: "unauthorized" });
      expect((await p.fetch("/api/notifications", { token: t })).status).toBe(401);
    } finally {
      await p.stop();
    }
  }, 60_000);

  test("is given JWT_DEFAULT_TENANT when set", async () => {
    const p = await startPlatform({ env: { JWT_SECRET: "tenant-test-secret-0123456789abcdef", JWT_DEFAULT_TENANT: "solo" } });
    try {
      const r = await attempt(p.url, await noTenant(p));
      const me = r.ok ? await emitAck(r.socket, "authenticate", { token: await noTenant(p) }) : null;
      r.socket.close();
      expect(r.ok).toBe(true);
      expect(me).toMatchObject({ ok: true, data: { user: { id: "ann", tenantId: "solo" } } });
    } finally {
      await p.stop();
    }
  }, 60_000);
});
