import { AppError } from "@rt/contracts";
import type { PlatformConfig } from "@rt/service-kit";
import type { Counter } from "prom-client";
import { perMinute, type Limiter } from "./limiter.ts";
import { rooms } from "../outbound/rooms.ts";
import { HeldSockets } from "./admission.ts";

export type TenantLimitName = "connections" | "messages" | "sync_rooms";

export interface TenantLimit {
  connections: number;
  messagesPerMinute: number;
  syncRooms: number;
}

type LimitsConfig = Pick<PlatformConfig, "TENANT_MAX_CONNECTIONS" | "TENANT_RATE_MESSAGES" | "TENANT_MAX_SYNC_ROOMS" | "TENANT_LIMITS" | "TENANT_METRICS_TOP">;

/**
 * The tenant label of a metric, from a bounded set: tenants with their own limits (TENANT_LIMITS)
 * by name, then the first `top` tenants refused, every other tenant `other`. A label set that
 * grew with every tenant name a token carries would grow the scrape without bound.
 */
export function tenantLabeller(named: Iterable<string>, top: number): (tenantId: string) => string {
  const names = new Set(named);
  let free = top;
  return (tenantId) => {
    if (names.has(tenantId)) return tenantId;
    if (free <= 0) return "other";
    free--;
    names.add(tenantId);
    return tenantId;
  };
}

/** The sync rooms of one tenant share the room name up to the last `:` (ids never contain one). */
const tenantOfSyncRoom = (room: string) => room.slice(0, room.lastIndexOf(":"));

/**
 * Per-tenant limits on this gateway, so one noisy tenant cannot starve the others: sockets held,
 * client events a minute (the keyed limiter, a bucket per tenant) and distinct data-sync rooms.
 * Each refusal is RATE_LIMITED and counted by tenant (bounded labels) and limit.
 */
export class TenantLimits {
  readonly sockets: HeldSockets;
  private readonly syncRooms = new Map<string, number>();
  private readonly label: (tenantId: string) => string;

  constructor(
    private readonly config: LimitsConfig,
    private readonly limiter: Limiter,
    private readonly refusals: Counter<"tenant" | "limit">,
  ) {
    this.label = tenantLabeller(Object.keys(config.TENANT_LIMITS), config.TENANT_METRICS_TOP);
    this.sockets = new HeldSockets(
      (t) => this.of(t).connections,
      "tenant",
      (t) => this.refused(t, "connections"),
    );
  }

  of(tenantId: string): TenantLimit {
    const o = this.config.TENANT_LIMITS[tenantId];
    return {
      connections: o?.connections ?? this.config.TENANT_MAX_CONNECTIONS,
      messagesPerMinute: o?.messagesPerMinute ?? this.config.TENANT_RATE_MESSAGES,
      syncRooms: o?.syncRooms ?? this.config.TENANT_MAX_SYNC_ROOMS,
    };
  }

  /** One client event of the tenant. */
  async spendEvent(tenantId: string): Promise<void> {
    try {
      await this.limiter.spend("tenant", tenantId, "too many events for this tenant, slow down", perMinute(this.of(tenantId).messagesPerMinute));
    } catch (err) {
      if (err instanceof AppError && err.code === "RATE_LIMITED") this.refused(tenantId, "messages");
      throw err;
    }
  }

  /** Before a socket joins `wanted` sync rooms of the tenant: those not open yet must fit. */
  checkSyncRooms(tenantId: string, wanted: string[], isOpen: (room: string) => boolean): void {
    const fresh = new Set(wanted.filter((r) => !isOpen(r))).size;
    if (!fresh) return;
    const max = this.of(tenantId).syncRooms;
    const open = this.syncRooms.get(tenantOfSyncRoom(rooms.sync(tenantId, "x"))) ?? 0;
    if (open + fresh <= max) return;
    this.refused(tenantId, "sync_rooms");
    throw new AppError("RATE_LIMITED", `too many data-sync rooms for this tenant (max ${max}); leave some first`);
  }

  /** Counts sync rooms as the adapter opens and closes them (a room closes with its last socket). */
  trackRooms(adapter: { on(event: "create-room" | "delete-room", fn: (room: string) => void): unknown }): void {
    const add = (room: string, by: number) => {
      if (!rooms.isSync(room)) return;
      const key = tenantOfSyncRoom(room);
      const n = (this.syncRooms.get(key) ?? 0) + by;
      if (n > 0) this.syncRooms.set(key, n);
      else this.syncRooms.delete(key);
    };
    adapter.on("create-room", (room) => add(room, 1));
    adapter.on("delete-room", (room) => add(room, -1));
  }

  private refused(tenantId: string, limit: TenantLimitName): void {
    this.refusals.inc({ tenant: this.label(tenantId), limit });
  }
}
