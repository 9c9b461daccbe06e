import { Hono } from "hono";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";

export type AsymmetricAlg = "RS256" | "ES256" | "EdDSA";

export interface SigningKey {
  kid: string;
  alg: AsymmetricAlg;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function signingKey(alg: AsymmetricAlg, kid: string = `${alg}-${crypto.randomUUID().slice(0, 8)}`): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === "EdDSA" ? { crv: "Ed25519" } : {}) });
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

/** A token as an identity provider would issue it (claims as given, `exp` in seconds from now). */
export function idpToken(key: SigningKey, claims: Record<string, unknown>, o: { sub?: string; ttl?: number } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" })
    .setSubject(o.sub ?? "u1")
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (o.ttl ?? 600))
    .sign(key.privateKey);
}

export interface JwksServer {
  url: string;
  /** How many times the key set was fetched. */
  fetches(): number;
  /** Publish exactly these keys from now on (a rotation drops the old ones). */
  publish(keys: SigningKey[]): void;
  stop(): Promise<void>;
}

/** An identity provider's JWKS endpoint on a free loopback port (a Hono app), for rotation tests. */
export function startJwksServer(initial: SigningKey[]): JwksServer {
  let keys = initial;
  let count = 0;
  const app = new Hono().get("/.well-known/jwks.json", (c) => {
    count++;
    return c.json({ keys: keys.map((k) => k.publicJwk) });
  });
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
  return {
    url: `http://127.0.0.1:${server.port}/.well-known/jwks.json`,
    fetches: () => count,
    publish(next) {
      keys = next;
    },
    async stop() {
      await server.stop(true);
    },
  };
}
