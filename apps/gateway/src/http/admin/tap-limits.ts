import { AppError } from "@rt/contracts";

/**
 * The live tap's limits: few concurrent taps (each is a subscription to a tenant's deliveries)
 * and a token bucket per tap, so a busy tenant cannot flood an operator's browser or the gateway.
 * Hand-written: a counter per actor and a two-field bucket.
 */
export class TapLimits {
  static readonly PER_ACTOR = 2;
  static readonly PER_GATEWAY = 10;
  static readonly EVENTS_PER_SEC = 50;
  private open_ = new Map<string, number>();
  private total = 0;

  /** Count a new tap, or refuse it with RATE_LIMITED; returns its release. */
  open(actor: string): () => void {
    const mine = this.open_.get(actor) ?? 0;
    if (mine >= TapLimits.PER_ACTOR || this.total >= TapLimits.PER_GATEWAY) {
      throw new AppError("RATE_LIMITED", `too many live taps open (max ${TapLimits.PER_ACTOR} per caller, ${TapLimits.PER_GATEWAY} per gateway)`, { retryAfterMs: 5000 });
    }
    this.open_.set(actor, mine + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const n = (this.open_.get(actor) ?? 1) - 1;
      if (n > 0) this.open_.set(actor, n);
      else this.open_.delete(actor);
    };
  }

  /** EVENTS_PER_SEC envelopes a second, bursts up to one second's worth. */
  bucket(now: () => number = Date.now) {
    const rate = TapLimits.EVENTS_PER_SEC;
    let tokens = rate;
    let last = now();
    return {
      take(): boolean {
        const t = now();
        tokens = Math.min(rate, tokens + ((t - last) / 1000) * rate);
        last = t;
        if (tokens < 1) return false;
        tokens--;
        return true;
      },
    };
  }
}
