import { createHash } from "node:crypto";
import type { KvStore } from "@rt/bus";
import type { BucketSpec, LimiterStore, Verdict } from "./limiter.ts";

/** KV bucket of the shared token buckets; entries expire a window after their last write (a full bucket). */
export const LIMITS_BUCKET = "rt_limits";

/** One shared bucket as stored: tokens left at `at`, refilled continuously like the memory store's. */
interface Shared {
  tokens: number;
  at: number;
}

/** Tokens this gateway took from the shared bucket and has not spent yet. */
interface Lease {
  tokens: number;
  /** The shared bucket was empty: refuse locally until then instead of asking again per event. */
  blockedUntil: number;
  lastUsed: number;
  pending: Promise<void> | null;
}

const OK: Verdict = { ok: true };
/** Compare-and-set attempts before one event falls back to the local store (heavy contention). */
const CAS_ATTEMPTS = 20;

/**
 * Token buckets shared by every gateway over a KV store of the bus. A gateway leases a few tokens
 * at a time (a `leaseFraction` of the capacity, at least 1) with one compare-and-set, and spends
 * them locally: most events cost no round trip, and since leased tokens are taken out of the
 * shared bucket, the cluster never admits more than the budget. The price is that tokens leased by
 * a gateway the user left stay unspent (at most gateways × lease of the burst; the refill rate is
 * unchanged). An empty shared bucket is remembered until its next token, so a flood costs one read.
 * When the KV store fails, the event is counted by `fallback` (per gateway) rather than refused.
 */
export class KvLimiterStore implements LimiterStore {
  private leases = new Map<string, Lease>();
  private timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly kv: KvStore,
    private readonly fallback: LimiterStore,
    private readonly leaseFraction = 0.05,
    pruneEveryMs = 60_000,
  ) {
    this.timer = setInterval(() => this.prune(Date.now() - pruneEveryMs), pruneEveryMs);
    this.timer.unref();
  }

  take(key: string, spec: BucketSpec, now: number): Verdict | Promise<Verdict> {
    const l = this.leases.get(key);
    if (l) {
      l.lastUsed = now;
      if (l.tokens >= 1) {
        l.tokens -= 1;
        return OK;
      }
      if (now < l.blockedUntil) return { ok: false, retryAfterMs: Math.max(1, l.blockedUntil - now) };
    }
    return this.refill(key, spec, now);
  }

  private async refill(key: string, spec: BucketSpec, now: number): Promise<Verdict> {
    let l = this.leases.get(key);
    if (!l) this.leases.set(key, (l = { tokens: 0, blockedUntil: 0, lastUsed: now, pending: null }));
    const lease = l;
    // Events arriving while a lease is asked for wait for that one request.
    lease.pending ??= this.lease(key, lease, spec, now).finally(() => (lease.pending = null));
    try {
      await lease.pending;
    } catch {
      return this.fallback.take(key, spec, now);
    }
    if (lease.tokens >= 1) {
      lease.tokens -= 1;
      return OK;
    }
    if (now < lease.blockedUntil) return { ok: false, retryAfterMs: Math.max(1, lease.blockedUntil - now) };
    // Others spent what arrived: ask again.
    return this.refill(key, spec, now);
  }

  private async lease(key: string, l: Lease, spec: BucketSpec, now: number): Promise<void> {
    const id = kvKey(key);
    const want = Math.max(1, Math.ceil(spec.capacity * this.leaseFraction));
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const e = await this.kv.entry(id);
      const b = (e?.value as Shared | undefined) ?? { tokens: spec.capacity, at: now };
      const level = Math.min(spec.capacity, b.tokens + (Math.max(0, now - b.at) * spec.capacity) / spec.windowMs);
      const grant = Math.min(want, Math.floor(level));
      if (grant === 0) {
        l.blockedUntil = now + Math.ceil(((1 - level) * spec.windowMs) / spec.capacity);
        return;
      }
      // `at` never goes back: a gateway whose clock is behind does not refill the bucket twice.
      if (await this.kv.putIf(id, { tokens: level - grant, at: Math.max(now, b.at) } satisfies Shared, e?.revision ?? 0)) {
        l.tokens += grant;
        return;
      }
      // Lost the race: a random pause, so the same fast gateways do not win every time.
      await Bun.sleep(Math.random() * 2 * (attempt + 1));
    }
    throw new Error("limiter: compare-and-set contention");
  }

  /** Leases held (for tests). */
  get size(): number {
    return this.leases.size;
  }

  /** Forget leases unused since `before` (their few tokens are given up). */
  prune(before: number): void {
    for (const [k, l] of this.leases) if (l.lastUsed < before && !l.pending) this.leases.delete(k);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** KV keys allow [-/_=.A-Za-z0-9]; limiter keys hold tenant and user ids, so they are hashed. */
const kvKey = (key: string) => createHash("sha256").update(key).digest("base64url").slice(0, 32);
