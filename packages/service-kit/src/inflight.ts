import { AppError } from "@rt/contracts";

/** How long a refused caller is told to wait: about one round of the work that filled the bound. */
export const OVERLOAD_RETRY_AFTER_MS = 200;

/**
 * A bound on work in flight (a gateway's forwarded events, a service's actions). Past it, work is
 * refused at once with UNAVAILABLE and a retryAfterMs instead of queueing: under overload the
 * accepted keep their latency and the rest learn it in microseconds, not after a 5 s timeout.
 */
export class InFlightLimit {
  private running = 0;
  constructor(
    readonly max: number,
    private readonly what: string,
  ) {}

  get current(): number {
    return this.running;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) throw new AppError("UNAVAILABLE", `${this.what} is overloaded, retry shortly`, { retryAfterMs: OVERLOAD_RETRY_AFTER_MS });
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
    }
  }
}
