/** One tenant's `presence:batch` for one window: the users whose presence changed in it. */
export interface Batch {
  tenantId: string;
  /** Window number (end of the window / windowMs): every replica names the same window alike. */
  window: number;
  users: string[];
}

/**
 * Coalesces tenant-wide presence changes into one batch per tenant per window of `windowMs`,
 * windows aligned to the clock so that every presence replica cuts the same windows and their
 * batches share an id (the gateways deliver one). A change within `marginMs` of a window's end is
 * also in the next window's batch: a replica whose clock or delivery is that much apart from
 * another may have put it in either, and whichever copy a gateway keeps, one of the two batches
 * carries it. Batches carry user ids only; the caller adds each user's state at the flush.
 */
export class PresenceBatcher {
  /** tenant → user → when their presence last changed (this replica's clock). */
  private changed = new Map<string, Map<string, number>>();

  constructor(
    readonly windowMs: number,
    readonly marginMs: number,
  ) {}

  note(tenantId: string, userId: string, now = Date.now()) {
    let users = this.changed.get(tenantId);
    if (!users) this.changed.set(tenantId, (users = new Map()));
    users.set(userId, now);
  }

  /** Milliseconds until the current window ends. */
  untilNextWindow(now = Date.now()): number {
    return this.windowMs - (now % this.windowMs);
  }

  /**
   * The batches of the window that ended last (a late timer takes the latest boundary): every
   * change before that boundary; changes within the margin before it stay for the next window.
   */
  flush(now = Date.now()): Batch[] {
    const window = Math.floor(now / this.windowMs);
    const end = window * this.windowMs;
    const out: Batch[] = [];
    for (const [tenantId, users] of this.changed) {
      const batch: string[] = [];
      for (const [userId, at] of users) {
        if (at >= end) continue;
        batch.push(userId);
        if (at < end - this.marginMs) users.delete(userId);
      }
      if (users.size === 0) this.changed.delete(tenantId);
      if (batch.length > 0) out.push({ tenantId, window, users: batch });
    }
    return out;
  }
}
