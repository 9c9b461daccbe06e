import { createPublicKey } from "node:crypto";
import type { JWK } from "jose";

/** The asymmetric algorithms accepted from a key set, each bound to one key type (jose checks kty/crv). */
export const ASYMMETRIC_ALGS = ["RS256", "ES256", "EdDSA"] as const;

const PEM_BLOCK = /-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g;

/** Only public keys of the pinned types: a symmetric (`oct`) key would reopen algorithm confusion. */
function checkJwk(jwk: JWK, where: string): JWK {
  if (typeof jwk !== "object" || jwk === null || typeof jwk.kty !== "string") throw new Error(`${where}: not a JWK`);
  if ("d" in jwk) throw new Error(`${where}: is a private key (give the public key only)`);
  if (jwk.kty === "RSA") return jwk;
  if (jwk.kty === "EC" && jwk.crv === "P-256") return jwk;
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") return jwk;
  if (jwk.kty === "EC" || jwk.kty === "OKP") throw new Error(`${where}: curve ${jwk.crv} not supported (P-256 for ES256, Ed25519 for EdDSA)`);
  throw new Error(`${where}: kty ${jwk.kty} not supported (RSA, EC P-256 or OKP Ed25519)`);
}

/**
 * JWT_PUBLIC_KEYS: a JWKS (`{"keys":[…]}`), one JWK, a JSON array of JWKs, or one or more PEM
 * public keys / certificates (PEM keys carry no kid: they match tokens by algorithm). Throws a
 * one-line reason that never echoes the value.
 */
export function parsePublicKeys(text: string): JWK[] {
  const trimmed = text.trim();
  let keys: JWK[];
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch {
      throw new Error("is not valid JSON");
    }
    const list = Array.isArray(json) ? json : json && typeof json === "object" && Array.isArray((json as { keys?: unknown }).keys) ? (json as { keys: unknown[] }).keys : [json];
    keys = list.map((k, i) => checkJwk(k as JWK, `key ${i + 1}`));
  } else {
    const blocks = trimmed.match(PEM_BLOCK) ?? [];
    if (!blocks.length) throw new Error("is neither JSON (JWK / JWKS) nor PEM");
    keys = blocks.map((pem, i) => {
      if (/PRIVATE KEY/.test(pem)) throw new Error(`key ${i + 1}: is a private key (give the public key only)`);
      let jwk: JWK;
      try {
        jwk = createPublicKey(pem).export({ format: "jwk" }) as JWK;
      } catch {
        throw new Error(`key ${i + 1}: is not a readable PEM public key`);
      }
      return checkJwk(jwk, `key ${i + 1}`);
    });
  }
  if (!keys.length) throw new Error("holds no key");
  return keys;
}
