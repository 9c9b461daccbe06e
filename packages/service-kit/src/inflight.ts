import { AppError } from "@rt/contracts";

/** How long a refused caller is told to wait: about one round of the work that filled the bound. */
export const OVERLOAD_RETRY_AFTER_MS = 200;

export interface InFlightOptions {
  /**
   * Queueing the accepted work may see, in ms. Without it the bound is the count alone; with it the
   * bound follows what the work behind it can do (below).
   */
  budgetMs?: number;
  /** How often the bound is re-set from what completed meanwhile. */
  windowMs?: number;
  /**
   * The bound never goes below this. At a low arrival rate the completion rate says nothing of
   * capacity, and one slow moment (a loaded machine) would shrink the bound to 1 and refuse a
   * burst of a few concurrent calls (it did, in chat's tests); 32 is a few rounds of a pool of 10.
   */
  floor?: number;
}

const DEFAULT_FLOOR = 32;
/** Asked for above this multiple of the peak completion rate is more than the work can do. */
const ABOVE_PEAK = 1.1;
/** The peak completion rate fades by this factor a window (to half in ~7 s of 50 ms windows). */
const PEAK_DECAY = 0.995;
/** Windows in a row over budget that make a standing queue (500 ms of 50 ms windows). */
const STANDING_WINDOWS = 10;

/**
 * A bound on work in flight (a gateway's forwarded events, a service's actions). Past it, work is
 * refused at once with UNAVAILABLE and a retryAfterMs instead of queueing: under overload the
 * accepted keep their latency and the rest learn it in microseconds, not after a 5 s timeout.
 *
 * A count alone lets seconds of queue build before it bites (1,000 in flight at 1,000/s is a
 * second of wait: inflight.test.ts). With `budgetMs`, every window the bound is re-set by Little's
 * law when the work is overloaded: the bound becomes what completes in base + budget at the rate
 * it completed (never under `floor`), `base` being the work's unqueued time (learnt from work that
 * started with nothing else running). Once the queueing is under half the budget it grows back
 * toward `max` by a quarter a window (doubling overshot: accepted latency swung to three times the
 * budget).
 *
 * Overloaded means the work took longer than base + budget, and either more is asked for than the
 * work has lately shown it can complete (`peakRate`, decaying slowly), or it has taken that long
 * for `STANDING_WINDOWS` windows in a row (a queue that stays: a slow overload, or work that
 * hangs). Slow work at a rate it has kept up with is not refused at once: a group commit whose
 * fsync stalls for a few hundred ms writes the sends that waited in its next batch, and refusing
 * them shortens nobody's wait (the chat bench at 1,000/s had 369 of 10,000 sends refused so).
 */
export class InFlightLimit {
  private running = 0;
  private bound: number;
  private windowStart = performance.now();
  private completed = 0;
  private asked = 0;
  private spentMs = 0;
  /** The highest completion rate (per ms) lately seen, fading by PEAK_DECAY a window. */
  private peakRate = 0;
  /** Windows in a row whose work took longer than base + budget. */
  private overWindows = 0;
  /** Unqueued duration of the work (EWMA of what ran alone); 0 until seen. */
  private baseMs = 0;

  constructor(
    readonly max: number,
    private readonly what: string,
    private readonly opts: InFlightOptions = {},
  ) {
    this.bound = max;
  }

  get current(): number {
    return this.running;
  }

  /** The bound in force now (`max`, or less while the work queues past the budget). */
  get limit(): number {
    return this.bound;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    if (this.opts.budgetMs !== undefined) {
      this.adapt(started, this.opts.budgetMs);
      this.asked++;
    }
    if (this.running >= this.bound) throw new AppError("UNAVAILABLE", `${this.what} is overloaded, retry shortly`, { retryAfterMs: OVERLOAD_RETRY_AFTER_MS });
    const alone = this.running === 0;
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      const ms = performance.now() - started;
      this.completed++;
      this.spentMs += ms;
      if (alone) this.baseMs = this.baseMs === 0 ? ms : 0.8 * this.baseMs + 0.2 * ms;
    }
  }

  private adapt(now: number, budgetMs: number): void {
    const elapsed = now - this.windowStart;
    if (elapsed < (this.opts.windowMs ?? 50)) return;
    const rate = this.completed / elapsed;
    this.peakRate = Math.max(rate, this.peakRate * PEAK_DECAY);
    // A window where nothing completed while work ran counts as over budget: the work may hang.
    const queued = this.completed > 0 ? this.spentMs / this.completed - this.baseMs : this.running > 0 ? Infinity : 0;
    this.overWindows = queued > budgetMs ? this.overWindows + 1 : 0;
    const overloaded = queued > budgetMs && (this.asked / elapsed > ABOVE_PEAK * this.peakRate || this.overWindows >= STANDING_WINDOWS);
    if (overloaded) this.bound = Math.min(this.max, Math.max(this.opts.floor ?? DEFAULT_FLOOR, Math.floor(rate * (this.baseMs + budgetMs))));
    else if (queued < budgetMs / 2) this.bound = Math.min(this.max, Math.ceil(this.bound * 1.25));
    this.windowStart = now;
    this.completed = 0;
    this.asked = 0;
    this.spentMs = 0;
  }
}
