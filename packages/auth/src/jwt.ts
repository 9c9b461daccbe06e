import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, SignJWT, errors as joseErrors, type JWK, type JWTVerifyGetKey, type JWTVerifyOptions } from "jose";
import { z } from "zod";
import { TenantId, type Principal } from "@rt/contracts";
import { ASYMMETRIC_ALGS } from "./keys.ts";

/** Where the platform's claims sit in a token (dotted paths, e.g. `realm_access.roles`). */
export interface ClaimNames {
  tenant?: string;
  roles?: string;
  name?: string;
}

export interface AuthConfig {
  /** HS256 shared secret (JWT_SECRET); without it HS256 tokens are refused. */
  secret?: string;
  /** Offline key set (JWT_PUBLIC_KEYS, parsed by `parsePublicKeys`). */
  publicKeys?: JWK[];
  /** An identity provider's JWKS endpoint (JWT_JWKS_URL). */
  jwksUrl?: string;
  /** Least time between two JWKS fetches triggered by an unknown kid (default 30 s). */
  jwksCooldownMs?: number;
  issuer?: string;
  audience?: string;
  /** Longest lifetime accepted, seconds (JWT_MAX_AGE, default 24 h). */
  maxAge?: number;
  /** Tenant of a token without a tenant claim (JWT_DEFAULT_TENANT); unset, such a token is refused. */
  defaultTenant?: string;
  claims?: ClaimNames;
}

export const DEFAULT_MAX_AGE_S = 24 * 60 * 60;
export const DEFAULT_CLAIMS = { tenant: "tenantId", roles: "roles", name: "name" } as const;

export interface VerifiedToken extends Principal {
  /** Expiry in epoch seconds (every accepted token has one). */
  exp: number;
}

/** Why a token was refused; the wire only ever sees `unauthorized` and a code. */
export type TokenFailure = "missing" | "expired" | "invalid";

export class TokenError extends Error {
  override readonly name = "TokenError";
  constructor(readonly reason: TokenFailure) {
    super(reason === "missing" ? "token missing" : reason === "expired" ? "token expired" : "token invalid");
  }
}

/** One token check for every path (handshake, recovery, `authenticate`, REST bearer). */
export type TokenVerifier = (token: string) => Promise<VerifiedToken>;

const Sub = z.union([z.string().min(1).max(128), z.number().int().nonnegative().transform(String)]);
const Role = z.string().min(1).max(64);
/** A list: a string where a list belongs is a type confusion, refused (battery case 2). */
const Roles = z.array(Role).max(50);
const Name = z.string().max(200);
const Times = z.object({ exp: z.number(), iat: z.number().optional() });

/** A claim by its full name (`https://example.com/tenant`) or by a dotted path into nested objects. */
function claimAt(payload: Record<string, unknown>, path: string): unknown {
  if (path in payload) return payload[path];
  let v: unknown = payload;
  for (const part of path.split(".")) {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/**
 * Picks the key by the token's header. HS256 only ever gets the shared secret; the asymmetric
 * algorithms only ever get a key of their own type from the key set (jose matches kid, kty and
 * crv), so a public key is never an HMAC secret (algorithm confusion) and `none` matches nothing.
 */
function keyResolver(cfg: AuthConfig): { algorithms: string[]; key: JWTVerifyGetKey } {
  const secret = cfg.secret ? new TextEncoder().encode(cfg.secret) : undefined;
  const sets: JWTVerifyGetKey[] = [];
  if (cfg.publicKeys?.length) sets.push(createLocalJWKSet({ keys: cfg.publicKeys }));
  if (cfg.jwksUrl) sets.push(createRemoteJWKSet(new URL(cfg.jwksUrl), { cooldownDuration: cfg.jwksCooldownMs ?? 30_000 }));
  const algorithms = [...(secret ? ["HS256"] : []), ...(sets.length ? ASYMMETRIC_ALGS : [])];
  const key: JWTVerifyGetKey = async (header, token) => {
    if (header.alg === "HS256" && secret) return secret;
    // Local keys first; a kid they do not know goes to the identity provider (cached, rate limited).
    for (const [i, set] of sets.entries()) {
      try {
        return await set(header, token);
      } catch (err) {
        if (!(err instanceof joseErrors.JWKSNoMatchingKey) || i === sets.length - 1) throw err;
      }
    }
    throw new joseErrors.JWKSNoMatchingKey();
  };
  return { algorithms, key };
}

export function createVerifier(cfg: AuthConfig): TokenVerifier {
  const { algorithms, key } = keyResolver(cfg);
  const names = { ...DEFAULT_CLAIMS, ...cfg.claims };
  const options: JWTVerifyOptions = {
    algorithms,
    issuer: cfg.issuer,
    audience: cfg.audience,
    // A token without exp would never expire.
    requiredClaims: ["exp"],
  };
  const verifySignature = async (token: string) => {
    try {
      return (await jwtVerify(token, key, options)).payload;
    } catch (err) {
      // Several keys of the set fit a token without kid (PEM keys): try each, as jose documents.
      if (!(err instanceof joseErrors.JWKSMultipleMatchingKeys)) throw err;
      for await (const k of err as unknown as AsyncIterable<CryptoKey>) {
        try {
          return (await jwtVerify(token, k, options)).payload;
        } catch (e) {
          if (!(e instanceof joseErrors.JWSSignatureVerificationFailed)) throw e;
        }
      }
      throw new joseErrors.JWSSignatureVerificationFailed();
    }
  };

  return async (token) => {
    if (!token) throw new TokenError("missing");
    let payload: Record<string, unknown>;
    try {
      payload = await verifySignature(token);
    } catch (err) {
      throw new TokenError(err instanceof joseErrors.JWTExpired ? "expired" : "invalid");
    }
    const sub = Sub.safeParse(payload.sub);
    const times = Times.safeParse(payload);
    const rawTenant = claimAt(payload, names.tenant);
    const tenant = rawTenant === undefined ? TenantId.safeParse(cfg.defaultTenant) : TenantId.safeParse(rawTenant);
    const rawRoles = claimAt(payload, names.roles);
    // The seed's single `role` claim counts when there is no roles list.
    const roles =
      rawRoles !== undefined ? Roles.safeParse(rawRoles) : payload.role !== undefined ? Role.transform((r) => [r]).safeParse(payload.role) : { success: true as const, data: [] };
    const rawName = claimAt(payload, names.name);
    const name = rawName === undefined ? { success: true as const, data: undefined } : Name.safeParse(rawName);
    // No tenant claim and no JWT_DEFAULT_TENANT: refused, never a guessed tenant.
    if (!sub.success || !times.success || !tenant.success || !roles.success || !name.success) throw new TokenError("invalid");
    const { exp, iat } = times.data;
    // Lifetime from issue (or from now without iat; a future iat counts as now), so a leaked
    // long-lived token is refused however it is dated.
    const now = Math.floor(Date.now() / 1000);
    if (exp - Math.min(iat ?? now, now) > (cfg.maxAge ?? DEFAULT_MAX_AGE_S)) throw new TokenError("invalid");
    return { userId: sub.data, tenantId: tenant.data, roles: roles.data, name: name.data ?? sub.data, exp };
  };
}

/** One-off verification (scripts, tests); long-lived callers keep one `createVerifier` (it caches JWKS). */
export function verifyToken(token: string, cfg: AuthConfig): Promise<VerifiedToken> {
  return createVerifier(cfg)(token);
}

export interface MintOptions {
  sub: string;
  tenantId?: string;
  roles?: string[];
  name?: string;
  /** Lifetime in seconds (default one hour). */
  ttl?: number;
}

export interface MintConfig {
  secret: string;
  issuer?: string;
  audience?: string;
}

/** Signs an HS256 token the platform accepts: for the dev token script, tests and the demo. */
export async function mintToken(o: MintOptions, cfg: MintConfig): Promise<string> {
  let jwt = new SignJWT({ tenantId: o.tenantId ?? "default", roles: o.roles ?? [], name: o.name ?? o.sub })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(o.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (o.ttl ?? 3600));
  if (cfg.issuer) jwt = jwt.setIssuer(cfg.issuer);
  if (cfg.audience) jwt = jwt.setAudience(cfg.audience);
  return jwt.sign(new TextEncoder().encode(cfg.secret));
}
