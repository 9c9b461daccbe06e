import type { RateClass } from "@rt/contracts";

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets per user and event class, refilled continuously to `perMinute`. Per gateway:
 * a user spread over N gateways gets up to N× the limit (said in the README).
 */
export class RateLimiter {
  private buckets = new Map<string, Bucket>();
  constructor(private limits: Record<RateClass, number>) {
    // Full buckets are forgotten so the map does not grow with every user ever seen.
    setInterval(() => this.prune(), 60_000).unref();
  }

  take(key: string, cls: RateClass, now = Date.now()): boolean {
    const cap = this.limits[cls];
    const k = `${cls}\u0000${key}`;
    const b = this.buckets.get(k) ?? { tokens: cap, at: now };
    b.tokens = Math.min(cap, b.tokens + ((now - b.at) * cap) / 60_000);
    b.at = now;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.set(k, b);
    return ok;
  }

  private prune(now = Date.now()) {
    for (const [k, b] of this.buckets) {
      const cls = k.slice(0, k.indexOf("\u0000")) as RateClass;
      if (b.tokens + ((now - b.at) * this.limits[cls]) / 60_000 >= this.limits[cls]) this.buckets.delete(k);
    }
  }
}
