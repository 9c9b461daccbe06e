import { describe, expect, test } from "bun:test";
import { SignJWT, UnsecuredJWT, generateKeyPair } from "jose";
import { mintToken, verifyToken, TokenError } from "./jwt.ts";
import { extractToken } from "./extract.ts";

const cfg = { secret: "test-secret-that-is-long-enough-1234" };
const reason = (p: Promise<unknown>) => p.then(() => "accepted", (e) => (e instanceof TokenError ? e.reason : "other"));

describe("verifyToken", () => {
  test("accepts a good token and fills defaults", async () => {
    const t = await mintToken({ sub: "u1", roles: ["admin"] }, cfg);
    const v = await verifyToken(t, cfg);
    expect(v).toMatchObject({ userId: "u1", tenantId: "default", roles: ["admin"], name: "u1" });
  });
  test("accepts a single role claim", async () => {
    const t = await new SignJWT({ role: "pdg" }).setProtectedHeader({ alg: "HS256" }).setSubject("5").sign(new TextEncoder().encode(cfg.secret));
    expect((await verifyToken(t, cfg)).roles).toEqual(["pdg"]);
  });
  test("refuses alg none, RS256, wrong secret, expired, not-yet-valid, missing sub", async () => {
    const none = new UnsecuredJWT({ sub: "u1" }).encode();
    const { privateKey } = await generateKeyPair("RS256");
    const rs = await new SignJWT({}).setProtectedHeader({ alg: "RS256" }).setSubject("u1").sign(privateKey);
    const wrong = await mintToken({ sub: "u1" }, { secret: "another-secret-another-secret-00" });
    const expired = await mintToken({ sub: "u1", ttl: -10 }, cfg);
    const key = new TextEncoder().encode(cfg.secret);
    const future = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject("u1").setNotBefore("1h").sign(key);
    const noSub = await new SignJWT({ tenantId: "a" }).setProtectedHeader({ alg: "HS256" }).sign(key);
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

describe("extractToken", () => {
  test("auth first, then bearer header, then query", () => {
    expect(extractToken({ auth: { token: "a" }, headers: { authorization: "Bearer b" }, query: { token: "c" } })).toBe("a");
    expect(extractToken({ auth: {}, headers: { authorization: "Bearer b" }, query: { token: "c" } })).toBe("b");
    expect(extractToken({ headers: {}, query: new URLSearchParams("token=c") })).toBe("c");
    expect(extractToken({ headers: new Headers() })).toBeUndefined();
  });
});
