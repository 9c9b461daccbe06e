import type { ErrorBody, ErrorCode } from "@rt/contracts";

export type { ErrorCode };

/** A refused request, connection or token: `code` is one of the PROTOCOL error codes. */
export class RealtimeError extends Error {
  override readonly name = "RealtimeError";
  /** RATE_LIMITED / UNAVAILABLE: the server's hint of how long to wait, ms. */
  retryAfterMs?: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The client event that failed, when there was one. */
    readonly event?: string,
  ) {
    super(message);
  }

  static from(body: ErrorBody, event?: string): RealtimeError {
    const e = new RealtimeError(body.code, body.message, event);
    if (body.retryAfterMs !== undefined) e.retryAfterMs = body.retryAfterMs;
    return e;
  }
}
