import { extractToken, TokenError, verifyToken, type AuthConfig, type VerifiedToken } from "@rt/auth";
import type { Gateway, GatewaySocket } from "./types.ts";

/** Refusal as the client sees it: `connect_error` with message "unauthorized" and a code. */
export class Unauthorized extends Error {
  readonly data: { code: "UNAUTHENTICATED"; reason: string };
  constructor(reason: string) {
    super("unauthorized");
    this.data = { code: "UNAUTHENTICATED", reason };
  }
}

/** The one verification setting of every token path: handshake, recovery, `authenticate`, REST bearer. */
export const authConfig = (gw: Pick<Gateway, "config">): AuthConfig => ({
  secret: gw.config.JWT_SECRET,
  issuer: gw.config.JWT_ISSUER,
  audience: gw.config.JWT_AUDIENCE,
  maxAge: gw.config.JWT_MAX_AGE,
});

/** Every source that carries a token; two different tokens in one handshake are refused. */
function tokensOf(socket: GatewaySocket): string[] {
  const h = socket.handshake;
  const auth = (h.auth ?? {}) as Record<string, unknown>;
  const sources = [
    extractToken({ auth, headers: {} }),
    extractToken({ headers: h.headers }),
    extractToken({ headers: {}, query: h.query as Record<string, unknown> }),
  ];
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
    v = await verifyToken(tokens[0]!, authConfig(gw));
  } catch (err) {
    throw new Unauthorized(err instanceof TokenError ? err.message : "token invalid");
  }
  const auth = (socket.handshake.auth ?? {}) as Record<string, unknown>;
  if (auth.tenantId !== undefined && auth.tenantId !== null && String(auth.tenantId) !== v.tenantId) throw new Unauthorized("tenant mismatch");
  if (auth.userId !== undefined && auth.userId !== null && String(auth.userId) !== v.userId) throw new Unauthorized("user mismatch");
  return v;
}
