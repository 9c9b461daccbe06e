export interface TokenSources {
  auth?: Record<string, unknown> | null;
  headers: Record<string, string | string[] | undefined> | Headers;
  query?: Record<string, unknown> | URLSearchParams;
}

function header(h: TokenSources["headers"], name: string): string | undefined {
  if (h instanceof Headers) return h.get(name) ?? undefined;
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

export function bearer(value: string | undefined): string | undefined {
  const m = value?.match(/^Bearer\s+(\S+)$/i);
  return m?.[1];
}

/**
 * The token, in the order of docs/PROTOCOL.md#authentication: handshake `auth.token`, `Authorization: Bearer`, `token` query.
 * Returns undefined when no source has one.
 */
export function extractToken(src: TokenSources): string | undefined {
  const fromAuth = src.auth?.token;
  if (typeof fromAuth === "string" && fromAuth) return fromAuth;
  const fromHeader = bearer(header(src.headers, "authorization"));
  if (fromHeader) return fromHeader;
  const q = src.query instanceof URLSearchParams ? src.query.get("token") : src.query?.token;
  return typeof q === "string" && q ? q : undefined;
}
