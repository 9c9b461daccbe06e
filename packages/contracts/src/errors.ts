import { z } from "zod";

/** Every failure a client or an internal caller can see carries one of these codes. */
export const ErrorCode = z.enum(["UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "VALIDATION", "RATE_LIMITED", "CONFLICT", "UNAVAILABLE", "INTERNAL"]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/**
 * `retryAfterMs` (RATE_LIMITED, UNAVAILABLE only): how long to wait before trying again; REST
 * answers carry it as `Retry-After` (seconds) too.
 */
export const ErrorBody = z.object({ code: ErrorCode, message: z.string(), retryAfterMs: z.number().int().nonnegative().optional() });
export type ErrorBody = z.infer<typeof ErrorBody>;

export const AckOk = z.object({ ok: z.literal(true), data: z.unknown().optional() });
export const AckError = z.object({ ok: z.literal(false), error: ErrorBody });
export const Ack = z.discriminatedUnion("ok", [AckOk, AckError]);
export type Ack<T = unknown> = { ok: true; data?: T } | { ok: false; error: ErrorBody };

/** Emitted as `error` when a failing event had no ack callback. */
export const ErrorEvent = ErrorBody.extend({ event: z.string(), timestamp: z.string() });
export type ErrorEvent = z.infer<typeof ErrorEvent>;

/** REST failures use the same codes; this is their HTTP status. */
export const httpStatusOf: Record<ErrorCode, 400 | 401 | 403 | 404 | 409 | 429 | 500 | 503> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  VALIDATION: 400,
  RATE_LIMITED: 429,
  CONFLICT: 409,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** The one error type services throw on purpose; its message is safe to show a client. */
export class AppError extends Error {
  override readonly name = "AppError";
  readonly retryAfterMs?: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    opts: { retryAfterMs?: number } = {},
  ) {
    super(message);
    // Only where docs/PROTOCOL.md#acks-and-errors allows it; a wait is whole milliseconds.
    if (opts.retryAfterMs !== undefined && (code === "RATE_LIMITED" || code === "UNAVAILABLE")) this.retryAfterMs = Math.max(0, Math.ceil(opts.retryAfterMs));
  }
  toBody(): ErrorBody {
    return this.retryAfterMs === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, retryAfterMs: this.retryAfterMs };
  }
}

type IssuePath = ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>;

/** Short, safe message for a zod (or Standard Schema) failure: field paths and reasons, never the input. */
export function describeZodError(err: { issues: ReadonlyArray<{ path?: IssuePath; message: string }> }): string {
  const keys = (p: IssuePath = []) => p.map((k) => String(typeof k === "object" ? k.key : k));
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path?.length ? keys(i.path).join(".") : "payload"}: ${i.message}`)
    .join("; ");
}
