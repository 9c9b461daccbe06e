import { jwtVerify, SignJWT, errors as joseErrors } from "jose";
import { z } from "zod";
import type { Principal } from "@rt/contracts";

export interface AuthConfig {
  secret: string;
  issuer?: string;
  audience?: string;
  /** Longest lifetime accepted, seconds (JWT_MAX_AGE, default 24 h). */
  maxAge?: number;
}

export const DEFAULT_MAX_AGE_S = 24 * 60 * 60;

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

const Claims = z.object({
  sub: z.union([z.string().min(1).max(128), z.number().int().nonnegative().transform(String)]),
  tenantId: z.string().min(1).max(128).optional(),
  roles: z.array(z.string().min(1).max(64)).max(50).optional(),
  role: z.string().min(1).max(64).optional(),
  name: z.string().max(200).optional(),
  exp: z.number(),
  iat: z.number().optional(),
});

const keyCache = new Map<string, Uint8Array>();
const keyOf = (secret: string) => {
  let k = keyCache.get(secret);
  if (!k) keyCache.set(secret, (k = new TextEncoder().encode(secret)));
  return k;
};

/** HS256 only (the algorithm is pinned: `none`, RS256 and the rest are refused). */
export async function verifyToken(token: string, cfg: AuthConfig): Promise<VerifiedToken> {
  if (!token) throw new TokenError("missing");
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, keyOf(cfg.secret), {
      algorithms: ["HS256"],
      issuer: cfg.issuer,
      audience: cfg.audience,
      // A token without exp would never expire.
      requiredClaims: ["exp"],
    }));
  } catch (err) {
    throw new TokenError(err instanceof joseErrors.JWTExpired ? "expired" : "invalid");
  }
  const claims = Claims.safeParse(payload);
  if (!claims.success) throw new TokenError("invalid");
  const c = claims.data;
  // Lifetime from issue (or from now without iat; a future iat counts as now), so a leaked
  // long-lived token is refused however it is dated.
  const now = Math.floor(Date.now() / 1000);
  if (c.exp - Math.min(c.iat ?? now, now) > (cfg.maxAge ?? DEFAULT_MAX_AGE_S)) throw new TokenError("invalid");
  return {
    userId: c.sub,
    tenantId: c.tenantId ?? "default",
    roles: c.roles ?? (c.role ? [c.role] : []),
    name: c.name ?? c.sub,
    exp: c.exp,
  };
}

export interface MintOptions {
  sub: string;
  tenantId?: string;
  roles?: string[];
  name?: string;
  /** Lifetime in seconds (default one hour). */
  ttl?: number;
}

/** Signs a token the platform accepts: for the dev token script, tests and the demo. */
export async function mintToken(o: MintOptions, cfg: AuthConfig): Promise<string> {
  let jwt = new SignJWT({ tenantId: o.tenantId ?? "default", roles: o.roles ?? [], name: o.name ?? o.sub })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(o.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (o.ttl ?? 3600));
  if (cfg.issuer) jwt = jwt.setIssuer(cfg.issuer);
  if (cfg.audience) jwt = jwt.setAudience(cfg.audience);
  return jwt.sign(keyOf(cfg.secret));
}
