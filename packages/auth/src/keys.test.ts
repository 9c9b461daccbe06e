import { describe, expect, test } from "bun:test";
import { SignJWT, UnsecuredJWT, exportJWK, importJWK, exportSPKI, generateKeyPair, type JWK } from "jose";
import { mintToken, verifyToken, TokenError, type AuthConfig } from "./jwt.ts";
import { parsePublicKeys } from "./keys.ts";

const reason = (p: Promise<unknown>) =>
  p.then(
    () => "accepted",
    (e) => (e instanceof TokenError ? e.reason : `other: ${e}`),
  );
const now = () => Math.floor(Date.now() / 1000);

type Alg = "RS256" | "ES256" | "EdDSA";
async function keyPair(alg: Alg, kid: string) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === "EdDSA" ? { crv: "Ed25519" } : {}) });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid };
  return { alg, kid, publicKey, privateKey, jwk, pem: await exportSPKI(publicKey) };
}
type Pair = Awaited<ReturnType<typeof keyPair>>;
const sign = (k: Pair, claims: Record<string, unknown> = { tenantId: "acme" }, o: { alg?: string; kid?: string | null; exp?: number; iat?: number } = {}) => {
  let j = new SignJWT(claims).setProtectedHeader({ alg: o.alg ?? k.alg, ...(o.kid === null ? {} : { kid: o.kid ?? k.kid }) }).setSubject("u1");
  j = j.setIssuedAt(o.iat ?? now()).setExpirationTime(o.exp ?? now() + 600);
  return j.sign(k.privateKey);
};

const rsa = await keyPair("RS256", "rsa-1");
const ec = await keyPair("ES256", "ec-1");
const ed = await keyPair("EdDSA", "ed-1");
const jwks = JSON.stringify({ keys: [rsa.jwk, ec.jwk, ed.jwk] });
const keysOnly: AuthConfig = { publicKeys: parsePublicKeys(jwks) };
const SECRET = "shared-secret-that-is-long-enough-1234";

describe("JWT_PUBLIC_KEYS: asymmetric tokens selected by kid", () => {
  test("RS256, ES256 and EdDSA tokens verify against a JWKS", async () => {
    for (const k of [rsa, ec, ed]) {
      expect(await verifyToken(await sign(k), keysOnly)).toMatchObject({ userId: "u1", tenantId: "acme" });
    }
  });

  test("a PEM public key (no kid) verifies tokens without a kid; several PEM blocks may be given", async () => {
    const cfg: AuthConfig = { publicKeys: parsePublicKeys(`${rsa.pem}\n${ec.pem}`) };
    expect(await reason(verifyToken(await sign(rsa, undefined, { kid: null }), cfg))).toBe("accepted");
    expect(await reason(verifyToken(await sign(ec, undefined, { kid: null }), cfg))).toBe("accepted");
    expect(await reason(verifyToken(await sign(ed, undefined, { kid: null }), cfg))).toBe("invalid");
  });

  test("a single JWK and a JSON array of JWKs are accepted too", async () => {
    expect(parsePublicKeys(JSON.stringify(ec.jwk))).toHaveLength(1);
    expect(parsePublicKeys(JSON.stringify([rsa.jwk, ed.jwk]))).toHaveLength(2);
  });

  test("a token signed by a key not in the set is refused, even with a known kid", async () => {
    const stranger = await keyPair("RS256", "rsa-1");
    expect(await reason(verifyToken(await sign(stranger), keysOnly))).toBe("invalid");
    const unknownKid = await keyPair("ES256", "nobody");
    expect(await reason(verifyToken(await sign(unknownKid), keysOnly))).toBe("invalid");
  });

  test("algorithms are pinned per key type: a kid of another type or a non-pinned algorithm is refused", async () => {
    // RSA key, but the header claims ES256 (or RS512, PS256): never verified with that key.
    expect(await reason(verifyToken(await sign(ec, undefined, { kid: rsa.kid }), keysOnly))).toBe("invalid");
    const privateJwk = await exportJWK(rsa.privateKey);
    for (const alg of ["RS512", "PS256"]) {
      const asAlg = { ...rsa, alg: alg as Alg, privateKey: (await importJWK(privateJwk, alg)) as CryptoKey };
      expect(await reason(verifyToken(await sign(asAlg), keysOnly))).toBe("invalid");
    }
    // A JWK that names its algorithm binds it.
    const bound: AuthConfig = { publicKeys: parsePublicKeys(JSON.stringify({ keys: [{ ...rsa.jwk, alg: "RS384" }] })) };
    expect(await reason(verifyToken(await sign(rsa), bound))).toBe("invalid");
  });

  test("alg none is refused with a key set", async () => {
    const none = new UnsecuredJWT({ sub: "u1", tenantId: "acme" }).setExpirationTime("10m").encode();
    expect(await reason(verifyToken(none, keysOnly))).toBe("invalid");
    expect(await reason(verifyToken(none, { ...keysOnly, secret: SECRET }))).toBe("invalid");
  });

  test("algorithm confusion: an HS256 token whose secret is the RSA public key (PEM or JWK) is refused", async () => {
    const withSecret: AuthConfig = { ...keysOnly, secret: SECRET };
    for (const material of [rsa.pem, JSON.stringify(rsa.jwk), rsa.jwk.n!]) {
      const forged = await new SignJWT({ tenantId: "acme" })
        .setProtectedHeader({ alg: "HS256", kid: rsa.kid })
        .setSubject("admin")
        .setIssuedAt()
        .setExpirationTime("10m")
        .sign(new TextEncoder().encode(material));
      expect(await reason(verifyToken(forged, keysOnly))).toBe("invalid");
      expect(await reason(verifyToken(forged, withSecret))).toBe("invalid");
      expect(await reason(verifyToken(forged, { publicKeys: parsePublicKeys(rsa.pem) }))).toBe("invalid");
    }
    // The shared secret itself still works beside the key set.
    expect(await reason(verifyToken(await mintToken({ sub: "u1", tenantId: "acme" }, { secret: SECRET }), withSecret))).toBe("accepted");
  });

  test("HS256 is refused when only a key set is configured", async () => {
    const hs = await mintToken({ sub: "u1", tenantId: "acme" }, { secret: SECRET });
    expect(await reason(verifyToken(hs, keysOnly))).toBe("invalid");
  });

  test("required exp and JWT_MAX_AGE apply to every key type", async () => {
    const hour: AuthConfig = { ...keysOnly, maxAge: 3600 };
    for (const k of [rsa, ec, ed]) {
      const noExp = await new SignJWT({ tenantId: "acme" }).setProtectedHeader({ alg: k.alg, kid: k.kid }).setSubject("u1").setIssuedAt().sign(k.privateKey);
      expect(await reason(verifyToken(noExp, hour))).toBe("invalid");
      expect(await reason(verifyToken(await sign(k, undefined, { exp: now() + 3601 }), hour))).toBe("invalid");
      expect(await reason(verifyToken(await sign(k, undefined, { exp: now() + 3600 }), hour))).toBe("accepted");
      expect(await reason(verifyToken(await sign(k, undefined, { iat: now() - 7200, exp: now() - 10 }), hour))).toBe("expired");
    }
  });

  test("a private key, a symmetric key or an unsupported curve in JWT_PUBLIC_KEYS is a configuration error", async () => {
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const priv = JSON.stringify(await exportJWK(privateKey));
    expect(() => parsePublicKeys(priv)).toThrow(/private/);
    expect(() => parsePublicKeys(JSON.stringify({ kty: "oct", k: "c2VjcmV0" }))).toThrow(/kty/);
    const p384 = await generateKeyPair("ES384", { extractable: true });
    const p384jwk = JSON.stringify(await exportJWK(p384.publicKey));
    expect(() => parsePublicKeys(p384jwk)).toThrow(/P-256/);
    expect(() => parsePublicKeys("not a key")).toThrow();
    expect(() => parsePublicKeys("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")).toThrow();
  });
});

describe("tenant claim and claim mapping", () => {
  test("a token without a tenant claim is refused unless a default tenant is configured", async () => {
    const noTenant = await sign(rsa, { name: "Ann" });
    expect(await reason(verifyToken(noTenant, keysOnly))).toBe("invalid");
    expect(await verifyToken(noTenant, { ...keysOnly, defaultTenant: "solo" })).toMatchObject({ tenantId: "solo", name: "Ann" });
    const hs = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject("u1").setExpirationTime("10m").sign(new TextEncoder().encode(SECRET));
    expect(await reason(verifyToken(hs, { secret: SECRET }))).toBe("invalid");
  });

  test("tenant, roles and name come from configured (dotted) claim paths", async () => {
    const claims = { org: { id: "acme" }, realm_access: { roles: ["admin", "pdg"] }, preferred_username: "ann" };
    const mapped: AuthConfig = { ...keysOnly, claims: { tenant: "org.id", roles: "realm_access.roles", name: "preferred_username" } };
    expect(await verifyToken(await sign(ec, claims), mapped)).toMatchObject({ userId: "u1", tenantId: "acme", roles: ["admin", "pdg"], name: "ann" });
    // A mapped claim of the wrong shape is refused, not coerced.
    expect(await reason(verifyToken(await sign(ec, { ...claims, org: { id: ["a", "b"] } }), mapped))).toBe("invalid");
    expect(await reason(verifyToken(await sign(ec, { ...claims, realm_access: { roles: "admin" } }), mapped))).toBe("invalid");
    expect(await reason(verifyToken(await sign(ec, { ...claims, realm_access: { roles: [1] } }), mapped))).toBe("invalid");
  });
});
