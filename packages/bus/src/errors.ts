/** FORBIDDEN: the NATS server's permissions refused the subject. */
export type BusErrorCode = "NO_RESPONDERS" | "TIMEOUT" | "CLOSED" | "FORBIDDEN";

/** Typed failure of a bus request, so callers can answer UNAVAILABLE without parsing messages. */
export class BusError extends Error {
  override readonly name = "BusError";
  constructor(
    readonly code: BusErrorCode,
    readonly subject: string,
  ) {
    super(`${code} on ${subject}`);
  }
}

export function isBusError(err: unknown): err is BusError {
  return err instanceof BusError;
}
