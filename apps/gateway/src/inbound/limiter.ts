import { AppError, type RateClass } from "@rt/contracts";
import type { PlatformConfig } from "@rt/service-kit";

/** A token bucket: `capacity` tokens, refilled continuously at `capacity` per `windowMs`. */
export interface BucketSpec {
  capacity: number;
  windowMs: number;
}

export type Verdict = { ok: true } | { ok: false; retryAfterMs: number };

/**
 * Where bucket state lives. In memory it is per gateway (a client spread over N gateways gets up
 * to N times the budget); a store shared over NATS KV makes it cluster-wide without touching callers.
 */
export interface LimiterStore {
  take(key: string, spec: BucketSpec, now: number): Verdict | Promise<Verdict>;
}

/** Client event classes (the contract's `rate`), handshakes per client address, events per tenant. */
export type LimitClass = RateClass | "handshake" | "tenant";

/** One keyed limiter for every budget of the gateway: socket events, REST writes, handshakes. */
export class Limiter {
  constructor(
    private readonly store: LimiterStore,
    private readonly specs: Record<LimitClass, BucketSpec>,
    /** Told of every refusal (metrics). */
    private readonly onRefused: (cls: LimitClass) => void = () => {},
  ) {}

  /** `spec` overrides the class's budget for this key (a tenant's own limit). */
  async take(cls: LimitClass, key: string, now = Date.now(), spec = this.specs[cls]): Promise<Verdict> {
    return this.store.take(`${cls}\u0000${key}`, spec, now);
  }

  /** Take a token or throw RATE_LIMITED carrying the wait. */
  async spend(cls: LimitClass, key: string, message: string, spec?: BucketSpec): Promise<void> {
    const v = await this.take(cls, key, Date.now(), spec);
    if (v.ok) return;
    this.onRefused(cls);
    throw new AppError("RATE_LIMITED", message, { retryAfterMs: v.retryAfterMs });
  }
}

/** The bucket of one user: socket events and REST calls of the same user draw from it alike. */
export const userKey = (tenantId: string, userId: string) => `${tenantId}\u0000${userId}`;

export const perMinute = (capacity: number): BucketSpec => ({ capacity, windowMs: 60_000 });

/** Budgets per minute (docs/PROTOCOL.md#rate-limits), from the configuration. */
export function limiterSpecs(
  c: Pick<PlatformConfig, "RATE_LIMIT_MESSAGE" | "RATE_LIMIT_TYPING" | "RATE_LIMIT_DEFAULT" | "RATE_LIMIT_HANDSHAKE" | "TENANT_RATE_MESSAGES">,
): Record<LimitClass, BucketSpec> {
  return {
    message: perMinute(c.RATE_LIMIT_MESSAGE),
    typing: perMinute(c.RATE_LIMIT_TYPING),
    default: perMinute(c.RATE_LIMIT_DEFAULT),
    handshake: perMinute(c.RATE_LIMIT_HANDSHAKE),
    tenant: perMinute(c.TENANT_RATE_MESSAGES),
  };
}
