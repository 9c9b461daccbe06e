import type { BucketSpec, LimiterStore, Verdict } from "./limiter.ts";

interface Bucket {
  tokens: number;
  at: number;
  spec: BucketSpec;
}

/** Token buckets in this process's memory (one gateway). */
export class MemoryLimiterStore implements LimiterStore {
  private buckets = new Map<string, Bucket>();
  private timer: ReturnType<typeof setInterval>;

  constructor(pruneEveryMs = 60_000) {
    // Full buckets are forgotten so the map does not grow with every key ever seen.
    this.timer = setInterval(() => this.prune(), pruneEveryMs);
    this.timer.unref();
  }

  take(key: string, spec: BucketSpec, now: number): Verdict {
    const b = this.buckets.get(key) ?? { tokens: spec.capacity, at: now, spec };
    b.tokens = level(b, now);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - b.tokens) * spec.windowMs) / spec.capacity) };
  }

  /** Buckets held (for tests of the pruning). */
  get size(): number {
    return this.buckets.size;
  }

  prune(now = Date.now()): void {
    for (const [k, b] of this.buckets) if (level(b, now) >= b.spec.capacity) this.buckets.delete(k);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Tokens of a bucket at `now`: refilled continuously, never above capacity. */
const level = (b: Bucket, now: number) => Math.min(b.spec.capacity, b.tokens + (Math.max(0, now - b.at) * b.spec.capacity) / b.spec.windowMs);
