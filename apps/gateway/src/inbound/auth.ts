import { extractToken, TokenError, type AuthConfig, type VerifiedToken } from "@rt/auth";
import type { PlatformConfig } from "@rt/service-kit";
import type { Gateway, GatewaySocket } from "../types.ts";

/** Refusal as the client sees it: `connect_error` with message "unauthorized" and a code. */
export class Unauthorized extends Error {
  readonly data: { code: "UNAUTHENTICATED"; reason: string };
  constructor(reason: string) {
    super("unauthorized");
    this.data = { code: "UNAUTHENTICATED", reason };
  }
}

/**
 * The one verification setting of every token path: handshake, recovery, `authenticate`, REST
 * bearer all call `gw.verify`, built from this once per gateway (it holds the JWKS cache).
 */
export const authConfig = (config: PlatformConfig): AuthConfig => ({
  secret: config.JWT_SECRET,
  publicKeys: config.JWT_PUBLIC_KEYS,
  jwksUrl: config.JWT_JWKS_URL,
  jwksCooldownMs: config.JWT_JWKS_COOLDOWN_MS,
  issuer: config.JWT_ISSUER,
  audience: config.JWT_AUDIENCE,
  maxAge: config.JWT_MAX_AGE,
  defaultTenant: config.JWT_DEFAULT_TENANT,
  claims: { tenant: config.JWT_TENANT_CLAIM, roles: config.JWT_ROLES_CLAIM, name: config.JWT_NAME_CLAIM },
});

/** Every source that carries a token; two different tokens in one handshake are refused. */
function tokensOf(socket: GatewaySocket): string[] {
  const h = socket.handshake;
  const auth = (h.auth ?? {}) as Record<string, unknown>;
  const sources = [extractToken({ auth, headers: {} }), extractToken({ headers: h.headers }), extractToken({ headers: {}, query: h.query as Record<string, unknown> })];
  return [...new Set(sources.filter((t): t is string => !!t))];
}

/**
 * Handshake check (also run again on connection state recovery): the token's claims become the
 * socket's identity; an `auth.tenantId`/`auth.userId` that disagrees with them is refused.
 */
export async function authenticateHandshake(gw: Gateway, socket: GatewaySocket): Promise<VerifiedToken | null> {
  const tokens = tokensOf(socket);
  if (tokens.length === 0) {
    if (gw.config.AUTH_ANONYMOUS) return null;
    throw new Unauthorized("token missing");
  }
  if (tokens.length > 1) throw new Unauthorized("conflicting tokens");
  let v: VerifiedToken;
  try {
    v = await gw.verify(tokens[0]!);
  } catch (err) {
    throw new Unauthorized(err instanceof TokenError ? err.message : "token invalid");
  }
  const auth = (socket.handshake.auth ?? {}) as Record<string, unknown>;
  if (auth.tenantId !== undefined && auth.tenantId !== null && String(auth.tenantId) !== v.tenantId) throw new Unauthorized("tenant mismatch");
  if (auth.userId !== undefined && auth.userId !== null && String(auth.userId) !== v.userId) throw new Unauthorized("user mismatch");
  return v;
}

/**
 * After the handshake check: drop what it read (headers, token, URL and query) from the socket
 * and from its engine connection, which share one copy. Nothing reads them later; kept, they were
 * a good part of what an idle socket holds (bench/README.md, idle). The address stays for logs.
 */
export function forgetHandshake(socket: GatewaySocket): void {
  const h = socket.handshake as { headers: unknown; auth: unknown; url: string; query: unknown };
  h.headers = {};
  h.auth = {};
  h.url = "";
  h.query = {};
  const request = (socket.conn as unknown as { request?: { headers: unknown; url: string; _query: unknown } }).request;
  if (request) {
    request.headers = h.headers;
    request.url = "";
    request._query = h.query;
  }
}
