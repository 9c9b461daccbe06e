import { socketDigest, type PresenceSocket, type PresenceUser } from "@rt/contracts";

export type PresenceChange = { kind: "online"; socket: PresenceSocket } | { kind: "offline"; socket: PresenceSocket };

interface GatewayView {
  lastSeen: number;
  digest: number;
  sockets: Map<string, PresenceSocket>;
}

const userKey = (s: { tenantId: string; userId: string }) => `${s.tenantId}\u0000${s.userId}`;

/**
 * Who is connected where, cluster-wide, kept from gateway deltas and heartbeats. A user is online
 * from their first socket on any gateway until their last one closes; pure state, no I/O.
 */
export class PresenceRegistry {
  private gateways = new Map<string, GatewayView>();
  /** tenant+user → their sockets across gateways. */
  private users = new Map<string, Map<string, PresenceSocket>>();
  /** Sockets of every gateway, counted from heartbeats (includes anonymous sockets). */
  private socketCounts = new Map<string, number>();

  private view(gatewayId: string, now: number): GatewayView {
    let g = this.gateways.get(gatewayId);
    if (!g) this.gateways.set(gatewayId, (g = { lastSeen: now, digest: 0, sockets: new Map() }));
    return g;
  }

  add(gatewayId: string, s: PresenceSocket, now = Date.now()): PresenceChange[] {
    const g = this.view(gatewayId, now);
    if (g.sockets.has(s.socketId)) return [];
    g.sockets.set(s.socketId, s);
    g.digest ^= socketDigest(s.socketId);
    const k = userKey(s);
    let mine = this.users.get(k);
    if (!mine) this.users.set(k, (mine = new Map()));
    mine.set(s.socketId, s);
    return mine.size === 1 ? [{ kind: "online", socket: s }] : [];
  }

  remove(gatewayId: string, socketId: string): PresenceChange[] {
    const g = this.gateways.get(gatewayId);
    const s = g?.sockets.get(socketId);
    if (!g || !s) return [];
    g.sockets.delete(socketId);
    g.digest ^= socketDigest(socketId);
    const k = userKey(s);
    const mine = this.users.get(k);
    mine?.delete(socketId);
    if (mine && mine.size === 0) {
      this.users.delete(k);
      return [{ kind: "offline", socket: s }];
    }
    return [];
  }

  /** A heartbeat arrived: returns whether our view of that gateway matches its digest. */
  beat(gatewayId: string, digest: number, socketCount: number, now = Date.now()): boolean {
    const g = this.view(gatewayId, now);
    g.lastSeen = now;
    this.socketCounts.set(gatewayId, socketCount);
    return g.digest === digest;
  }

  /** Replace a gateway's sockets with a snapshot; returns the online/offline changes it implies. */
  replace(gatewayId: string, sockets: PresenceSocket[], now = Date.now()): PresenceChange[] {
    const g = this.view(gatewayId, now);
    const next = new Set(sockets.map((s) => s.socketId));
    const changes: PresenceChange[] = [];
    for (const id of [...g.sockets.keys()]) if (!next.has(id)) changes.push(...this.remove(gatewayId, id));
    for (const s of sockets) changes.push(...this.add(gatewayId, s, now));
    return changes;
  }

  /** Drop gateways silent for longer than timeoutMs; their users go offline. */
  sweep(timeoutMs: number, now = Date.now()): PresenceChange[] {
    const changes: PresenceChange[] = [];
    for (const [id, g] of this.gateways) {
      if (now - g.lastSeen <= timeoutMs) continue;
      for (const socketId of [...g.sockets.keys()]) changes.push(...this.remove(id, socketId));
      this.gateways.delete(id);
      this.socketCounts.delete(id);
    }
    return changes;
  }

  list(tenantId: string): PresenceUser[] {
    const out: PresenceUser[] = [];
    for (const sockets of this.users.values()) {
      let first: PresenceSocket | undefined;
      for (const s of sockets.values()) if (!first || s.since < first.since) first = s;
      if (first && first.tenantId === tenantId) out.push({ userId: first.userId, name: first.name, since: first.since });
    }
    return out.sort((a, b) => a.since.localeCompare(b.since));
  }

  /** Connected sockets of every live gateway (heartbeat counts, anonymous sockets included). */
  connectedClients(): number {
    let n = 0;
    // Deltas arrive before the next beat's count: take whichever is higher per gateway.
    for (const [id, g] of this.gateways) n += Math.max(this.socketCounts.get(id) ?? 0, g.sockets.size);
    return n;
  }

  tenantClients(tenantId: string): number {
    let n = 0;
    for (const sockets of this.users.values()) for (const s of sockets.values()) if (s.tenantId === tenantId) n++;
    return n;
  }
}
