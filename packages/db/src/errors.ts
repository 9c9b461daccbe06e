/**
 * Whether an error means the database is out of reach (down, restarting, refusing) rather than a
 * bad query: such failures answer UNAVAILABLE and succeed again once it is back.
 */
export function isDbUnavailable(err: unknown): boolean {
  const e = err as { code?: string; errno?: string; cause?: unknown } | null;
  if (!e || typeof e !== "object") return false;
  const code = e.code ?? e.errno ?? "";
  if (["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "CONNECT_TIMEOUT"].includes(code)) return true;
  // Postgres SQLSTATE class 08 (connection) and 57P0x (shutdown, crash, cannot connect now).
  if (/^08/.test(code) || /^57P0/.test(code)) return true;
  return e.cause ? isDbUnavailable(e.cause) : false;
}

/** Postgres unique violation, for idempotent inserts. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; cause?: unknown } | null;
  if (!e || typeof e !== "object") return false;
  if (e.code === "23505") return true;
  return e.cause ? isUniqueViolation(e.cause) : false;
}

/**
 * Postgres refused a value the caller sent, not the query: text with a NUL character (22021),
 * JSON with `\u0000` (22P05) or an unpaired surrogate (22P02). Contract validation lets such
 * strings through (JSON allows them), so they must answer VALIDATION, not INTERNAL.
 */
export function isDbInvalidInput(err: unknown): boolean {
  const e = err as { code?: string; cause?: unknown } | null;
  if (!e || typeof e !== "object") return false;
  if (e.code === "22021" || e.code === "22P05" || e.code === "22P02") return true;
  return e.cause ? isDbInvalidInput(e.cause) : false;
}
