import { describe, expect, test } from "bun:test";
import { SignJWT, UnsecuredJWT, generateKeyPair } from "jose";
import { mintToken, verifyToken, TokenError } from "./jwt.ts";
import { extractToken } from "./extract.ts";

const cfg = { secret: "test-secret-that-is-long-enough-1234" };
const reason = (p: Promise<unknown>) =>
  p.then(
    () => "accepted",
    (e) => (e instanceof TokenError ? e.reason : "other"),
  );

describe("verifyToken", () => {
  test("accepts a good token and fills defaults", async () => {
    const t = await mintToken({ sub: "u1", roles: ["admin"] }, cfg);
    const v = await verifyToken(t, cfg);
    expect(v).toMatchObject({ userId: "u1", tenantId: "default", roles: ["admin"], name: "u1" });
  });
  test("accepts a single role claim", async () => {
    const t = await new SignJWT({ role: "pdg", tenantId: "a" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("5")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode(cfg.secret));
    expect((await verifyToken(t, cfg)).roles).toEqual(["pdg"]);
  });
  test("refuses alg none, RS256, wrong secret, expired, not-yet-valid, missing sub", async () => {
    const none = new UnsecuredJWT({ sub: "u1" }).encode();
    const { privateKey } = await generateKeyPair("RS256");
    const rs = await new SignJWT({}).setProtectedHeader({ alg: "RS256" }).setSubject("u1").sign(privateKey);
    const wrong = await mintToken({ sub: "u1" }, { secret: "another-secret-another-secret-00" });
    const expired = await mintToken({ sub: "u1", ttl: -10 }, cfg);
    const key = new TextEncoder().encode(cfg.secret);
    const future = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject("u1").setNotBefore("1h").setExpirationTime("2h").sign(key);
    const noSub = await new SignJWT({ tenantId: "a" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(key);
    expect(await reason(verifyToken(none, cfg))).toBe("invalid");
    expect(await reason(verifyToken(rs, cfg))).toBe("invalid");
    expect(await reason(verifyToken(wrong, cfg))).toBe("invalid");
    expect(await reason(verifyToken(expired, cfg))).toBe("expired");
    expect(await reason(verifyToken(future, cfg))).toBe("invalid");
    expect(await reason(verifyToken(noSub, cfg))).toBe("invalid");
    expect(await reason(verifyToken("", cfg))).toBe("missing");
    expect(await reason(verifyToken("garbage.token.here", cfg))).toBe("invalid");
  });
  test("checks issuer and audience when configured", async () => {
    const strict = { ...cfg, issuer: "iss-a", audience: "aud-a" };
    const good = await mintToken({ sub: "u1" }, strict);
    const bad = await mintToken({ sub: "u1" }, { ...cfg, issuer: "iss-b", audience: "aud-a" });
    expect((await verifyToken(good, strict)).userId).toBe("u1");
    expect(await reason(verifyToken(bad, strict))).toBe("invalid");
  });
});

describe("expiry is required and bounded by maxAge", () => {
  const key = new TextEncoder().encode(cfg.secret);
  const now = () => Math.floor(Date.now() / 1000);
  const sign = (claims: { iat?: number; exp?: number }) => {
    let j = new SignJWT({ tenantId: "a" }).setProtectedHeader({ alg: "HS256" }).setSubject("u1");
    if (claims.iat !== undefined) j = j.setIssuedAt(claims.iat);
    if (claims.exp !== undefined) j = j.setExpirationTime(claims.exp);
    return j.sign(key);
  };
  const hour = { ...cfg, maxAge: 3600 };

  test("a token without exp is refused", async () => {
    expect(await reason(verifyToken(await sign({}), cfg))).toBe("invalid");
    expect(await reason(verifyToken(await sign({ iat: now() }), cfg))).toBe("invalid");
  });
  test("exp - iat over maxAge is refused; at maxAge accepted", async () => {
    expect(await reason(verifyToken(await sign({ iat: now(), exp: now() + 3601 }), hour))).toBe("invalid");
    expect(await reason(verifyToken(await sign({ iat: now(), exp: now() + 3600 }), hour))).toBe("accepted");
    // Issued long ago with a long life: refused even though little of it is left.
    expect(await reason(verifyToken(await sign({ iat: now() - 86_400, exp: now() + 60 }), hour))).toBe("invalid");
  });
  test("without iat, exp - now over maxAge is refused", async () => {
    expect(await reason(verifyToken(await sign({ exp: now() + 3700 }), hour))).toBe("invalid");
    expect(await reason(verifyToken(await sign({ exp: now() + 3500 }), hour))).toBe("accepted");
  });
  test("an iat in the future does not stretch the lifetime", async () => {
    const later = now() + 10 * 365 * 86_400;
    expect(await reason(verifyToken(await sign({ iat: later, exp: later + 60 }), hour))).toBe("invalid");
  });
  test("the default maxAge is 24 h", async () => {
    expect(await reason(verifyToken(await sign({ iat: now(), exp: now() + 86_400 }), cfg))).toBe("accepted");
    expect(await reason(verifyToken(await sign({ iat: now(), exp: now() + 86_401 }), cfg))).toBe("invalid");
    expect(await reason(verifyToken(await mintToken({ sub: "u1", ttl: 30 * 86_400 }, cfg), cfg))).toBe("invalid");
  });
});

describe("extractToken", () => {
  test("auth first, then bearer header, then query", () => {
    expect(extractToken({ auth: { token: "a" }, headers: { authorization: "Bearer b" }, query: { token: "c" } })).toBe("a");
    expect(extractToken({ auth: {}, headers: { authorization: "Bearer b" }, query: { token: "c" } })).toBe("b");
    expect(extractToken({ headers: {}, query: new URLSearchParams("token=c") })).toBe("c");
    expect(extractToken({ headers: new Headers() })).toBeUndefined();
  });
});
