import {
  AdminAffected,
  AdminCountsInput,
  AdminCountsPart,
  AdminDisconnectInput,
  AdminLeaveInput,
  AdminListInput,
  AdminListPart,
  AdminRoomsInput,
  AdminRoomsPart,
  AdminStatsPart,
  AdminTapInput,
  AppError,
  parseAdminInput,
  DeliveryEnvelope,
  SvcReply,
  subjects,
  type AdminAffectedResult,
  type AdminCountsResult,
  type AdminGateway,
  type AdminListResult,
  type AdminOp,
  type AdminRequest,
  type AdminRoomsResult,
  type AdminStatsResult,
} from "@rt/contracts";
import type { Bus, Subscription } from "@rt/bus";
import type { z } from "zod";
import { GatewayDirectory } from "./gateways.ts";

const TIMEOUT_MS = 2000;

export interface AdminApiOptions {
  /** Who is calling; every gateway logs it with the operation. */
  actor: string;
  /** How long each gateway has to answer before it is reported in `missing` (default 2 s). */
  timeoutMs?: number;
  /** Share one directory (the gateway's own); otherwise the API listens to heartbeats itself. */
  directory?: GatewayDirectory;
}

/**
 * The cluster-wide server API (platform-wide: whoever holds the bus is trusted; the gateway's
 * HTTP routes scope callers to their tenant before calling this). Each call asks every live
 * gateway for its own sockets and merges; gateways that do not answer in time are in `missing`.
 */
export class AdminApi {
  readonly directory: GatewayDirectory;
  private readonly ownsDirectory: boolean;
  private readonly timeoutMs: number;

  constructor(
    private readonly bus: Bus,
    private readonly opts: AdminApiOptions,
  ) {
    this.directory = opts.directory ?? new GatewayDirectory(bus);
    this.ownsDirectory = !opts.directory;
    this.timeoutMs = opts.timeoutMs ?? TIMEOUT_MS;
  }

  /** The same API acting as someone else (the gateway's HTTP callers). */
  as(actor: string): AdminApi {
    return new AdminApi(this.bus, { ...this.opts, actor, directory: this.directory });
  }

  async gateways(): Promise<AdminGateway[]> {
    await this.directory.ready();
    return this.directory.list();
  }

  /** Sockets matching the filter on every gateway: socket id, user, gateway, transport, since, rooms. */
  async listConnections(filter: AdminListInput = {}): Promise<AdminListResult> {
    const input = parseAdminInput(AdminListInput, filter);
    const r = await this.fanout("list", input, AdminListPart);
    const parts = Object.values(r.parts);
    return {
      connections: parts.flatMap((p) => p.connections).sort((a, b) => a.since.localeCompare(b.since)),
      truncated: parts.some((p) => p.truncated),
      gateways: r.gateways,
      missing: r.missing,
    };
  }

  /** Close a user's (or one socket's) connections everywhere; the client gets `reason` in an `error` event first. */
  async disconnect(input: AdminDisconnectInput): Promise<AdminAffectedResult> {
    return this.affected("disconnect", parseAdminInput(AdminDisconnectInput, input));
  }

  /** Take a user's sockets out of a chat room everywhere (membership in the chat service is untouched). */
  async leaveRoom(input: AdminLeaveInput): Promise<AdminAffectedResult> {
    return this.affected("leave", parseAdminInput(AdminLeaveInput, input));
  }

  /** Sockets per tenant and per gateway (one tenant's only, when given). */
  async counts(input: AdminCountsInput = {}): Promise<AdminCountsResult> {
    const r = await this.fanout("counts", parseAdminInput(AdminCountsInput, input), AdminCountsPart);
    const byTenant: Record<string, number> = {};
    let total = 0;
    for (const part of Object.values(r.parts)) {
      total += part.sockets;
      for (const [t, n] of Object.entries(part.byTenant)) byTenant[t] = (byTenant[t] ?? 0) + n;
    }
    return { total, byTenant, byGateway: r.parts, gateways: r.gateways, missing: r.missing };
  }

  /** Chat rooms of a tenant with live sockets, and how many sockets and distinct users are in each. */
  async rooms(input: AdminRoomsInput): Promise<AdminRoomsResult> {
    const r = await this.fanout("rooms", parseAdminInput(AdminRoomsInput, input), AdminRoomsPart);
    const merged = new Map<string, { sockets: number; users: Set<string> }>();
    for (const part of Object.values(r.parts)) {
      for (const room of part.rooms) {
        const m = merged.get(room.roomId) ?? { sockets: 0, users: new Set<string>() };
        m.sockets += room.sockets;
        for (const u of room.users) m.users.add(u);
        merged.set(room.roomId, m);
      }
    }
    const rooms = [...merged].map(([roomId, m]) => ({ roomId, sockets: m.sockets, users: m.users.size })).sort((a, b) => b.sockets - a.sockets);
    return { rooms, gateways: r.gateways, missing: r.missing };
  }

  /** Every gateway's counters (events in, deliveries, errors…), for rates. */
  async stats(): Promise<AdminStatsResult> {
    const r = await this.fanout("stats", {}, AdminStatsPart);
    return { byGateway: r.parts, gateways: r.gateways, missing: r.missing };
  }

  /** Every envelope delivered to one tenant (or one chat room of it), as it is delivered. */
  tap(filter: AdminTapInput & { tenantId: string }, onEnvelope: (env: DeliveryEnvelope) => void): Subscription {
    const f = parseAdminInput(AdminTapInput, filter);
    const subject = f.roomId !== undefined ? subjects.deliver(filter.tenantId, "room", f.roomId) : subjects.deliverTenant(filter.tenantId);
    return this.bus.subscribe(subject, (raw) => {
      const env = DeliveryEnvelope.safeParse(raw);
      if (env.success) onEnvelope(env.data);
    });
  }

  close() {
    if (this.ownsDirectory) this.directory.close();
  }

  private async affected(op: AdminOp, input: unknown): Promise<AdminAffectedResult> {
    const r = await this.fanout(op, input, AdminAffected);
    const byGateway = Object.fromEntries(Object.entries(r.parts).map(([g, p]) => [g, p.count]));
    return { count: Object.values(byGateway).reduce((a, b) => a + b, 0), byGateway, gateways: r.gateways, missing: r.missing };
  }

  /** Ask every live gateway at once; a typed error from any of them fails the call. */
  private async fanout<S extends z.ZodType>(op: AdminOp, input: unknown, part: S) {
    await this.directory.ready();
    const gateways = this.directory.live();
    const req: AdminRequest = { actor: this.opts.actor, input };
    const settled = await Promise.allSettled(gateways.map((g) => this.bus.request(subjects.gwAdmin(g, op), req, { timeoutMs: this.timeoutMs })));
    const parts: Record<string, z.output<S>> = {};
    const missing: string[] = [];
    settled.forEach((s, i) => {
      const g = gateways[i]!;
      if (s.status === "rejected") {
        missing.push(g);
        return;
      }
      const reply = SvcReply.parse(s.value);
      if (!reply.ok) throw new AppError(reply.error.code, reply.error.message);
      parts[g] = part.parse(reply.data);
    });
    return { parts, gateways: gateways.filter((g) => !missing.includes(g)), missing };
  }
}
