import { GATEWAY_TIMEOUT_MS, HEARTBEAT_MS, Heartbeat, subjects, type AdminGateway } from "@rt/contracts";
import type { Bus, Subscription } from "@rt/bus";

/**
 * The gateways of the cluster, known from their presence heartbeats (the same beats presence
 * uses): one silent for GATEWAY_TIMEOUT_MS is gone. A directory younger than one heartbeat
 * period has not heard everyone yet, so `ready()` waits for it.
 */
export class GatewayDirectory {
  private seen = new Map<string, { at: number; socketCount: number }>();
  private sub: Subscription;
  private readonly startedAt = Date.now();

  constructor(
    bus: Bus,
    private readonly now: () => number = Date.now,
  ) {
    this.sub = bus.subscribe(subjects.heartbeatAll, (raw) => {
      const hb = Heartbeat.safeParse(raw);
      if (hb.success) this.seen.set(hb.data.gatewayId, { at: this.now(), socketCount: hb.data.socketCount });
    });
  }

  /** Resolves once a full heartbeat period has passed since the directory started listening. */
  async ready(): Promise<void> {
    const wait = this.startedAt + HEARTBEAT_MS + 250 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }

  /** Every gateway heard of within GATEWAY_TIMEOUT_MS (recently silent ones too, marked unhealthy). */
  list(): AdminGateway[] {
    const t = this.now();
    const out: AdminGateway[] = [];
    for (const [gatewayId, s] of this.seen) {
      const lastSeenMs = t - s.at;
      // Forgotten after twice the timeout, so the console shows a dead gateway for a while.
      if (lastSeenMs > 2 * GATEWAY_TIMEOUT_MS) this.seen.delete(gatewayId);
      else out.push({ gatewayId, socketCount: s.socketCount, lastSeenMs, healthy: lastSeenMs <= GATEWAY_TIMEOUT_MS });
    }
    return out.sort((a, b) => a.gatewayId.localeCompare(b.gatewayId));
  }

  /** The gateways to ask: the live ones. */
  live(): string[] {
    return this.list()
      .filter((g) => g.healthy)
      .map((g) => g.gatewayId);
  }

  close() {
    this.sub.unsubscribe();
  }
}
