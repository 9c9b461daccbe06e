import { presenceDigest, type PresenceSocket, type PresenceUser } from "@rt/contracts";

type SocketRoom = NonNullable<PresenceSocket["room"]>;
export type PresenceChange =
  | { kind: "online"; socket: PresenceSocket }
  | { kind: "offline"; socket: PresenceSocket }
  /** The user's first socket joined / last socket left `room` (the room join of `socket` that did it). */
  | { kind: "room-online" | "room-offline"; socket: PresenceSocket; room: SocketRoom };

interface GatewayView {
  lastSeen: number;
  digest: number;
  sockets: Map<string, PresenceSocket>;
}

const roomKey = (tenantId: string, roomId: number) => `${tenantId}\u0000${roomId}`;
/** ISO timestamps of one format order as strings do; localeCompare was most of a storm's sort. */
const bySince = (a: PresenceUser, b: PresenceUser) => (a.since < b.since ? -1 : a.since > b.since ? 1 : 0);

/**
 * Who is connected where, cluster-wide, kept from gateway deltas and heartbeats. A user is online
 * from their first socket on any gateway until their last one closes; pure state, no I/O.
 */
export class PresenceRegistry {
  private gateways = new Map<string, GatewayView>();
  /**
   * tenant → user → their connections across gateways, by connId: a socket recovered on another
   * gateway keeps its socket id while the old gateway may still list it (until swept). By tenant,
   * so a tenant's list costs its own users, not the cluster's.
   */
  private tenants = new Map<string, Map<string, Map<string, PresenceSocket>>>();
  /**
   * tenant → its list as last built, until one of its users' connections changes: a reconnect
   * storm asks for the list once per socket, mostly between two changes.
   */
  private lists = new Map<string, PresenceUser[]>();
  /** tenant+room → user → their connections (connId) in that room. */
  private rooms = new Map<string, Map<string, Map<string, PresenceSocket>>>();
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
    g.digest ^= presenceDigest(s);
    let users = this.tenants.get(s.tenantId);
    if (!users) this.tenants.set(s.tenantId, (users = new Map()));
    let mine = users.get(s.userId);
    if (!mine) users.set(s.userId, (mine = new Map()));
    mine.set(s.connId, s);
    this.lists.delete(s.tenantId);
    const changes: PresenceChange[] = mine.size === 1 ? [{ kind: "online", socket: s }] : [];
    return s.room ? [...changes, ...this.enterRoom(s, s.room)] : changes;
  }

  /** A socket joined or left a chat room (`s.room` is where it is now). */
  setRoom(gatewayId: string, s: PresenceSocket): PresenceChange[] {
    const g = this.gateways.get(gatewayId);
    const old = g?.sockets.get(s.socketId);
    if (!g || !old || old.room?.seq === s.room?.seq) return [];
    g.digest ^= presenceDigest(old) ^ presenceDigest(s);
    g.sockets.set(s.socketId, s);
    // Same name and since, another room: the tenant's list stays as it is.
    this.tenants.get(s.tenantId)?.get(s.userId)?.set(s.connId, s);
    return [...(old.room ? this.exitRoom(old, old.room) : []), ...(s.room ? this.enterRoom(s, s.room) : [])];
  }

  private enterRoom(s: PresenceSocket, room: SocketRoom): PresenceChange[] {
    const k = roomKey(s.tenantId, room.roomId);
    let users = this.rooms.get(k);
    if (!users) this.rooms.set(k, (users = new Map()));
    let mine = users.get(s.userId);
    if (!mine) users.set(s.userId, (mine = new Map()));
    mine.set(s.connId, s);
    return mine.size === 1 ? [{ kind: "room-online", socket: s, room }] : [];
  }

  private exitRoom(s: PresenceSocket, room: SocketRoom): PresenceChange[] {
    const k = roomKey(s.tenantId, room.roomId);
    const users = this.rooms.get(k);
    const mine = users?.get(s.userId);
    if (!users || !mine?.delete(s.connId) || mine.size > 0) return [];
    users.delete(s.userId);
    if (users.size === 0) this.rooms.delete(k);
    return [{ kind: "room-offline", socket: s, room }];
  }

  remove(gatewayId: string, socketId: string): PresenceChange[] {
    const g = this.gateways.get(gatewayId);
    const s = g?.sockets.get(socketId);
    if (!g || !s) return [];
    g.sockets.delete(socketId);
    g.digest ^= presenceDigest(s);
    const changes = s.room ? this.exitRoom(s, s.room) : [];
    const users = this.tenants.get(s.tenantId);
    const mine = users?.get(s.userId);
    mine?.delete(s.connId);
    this.lists.delete(s.tenantId);
    if (users && mine && mine.size === 0) {
      users.delete(s.userId);
      if (users.size === 0) this.tenants.delete(s.tenantId);
      changes.push({ kind: "offline", socket: s });
    }
    return changes;
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
    for (const s of sockets) changes.push(...(g.sockets.has(s.socketId) ? this.setRoom(gatewayId, s) : this.add(gatewayId, s, now)));
    return changes;
  }

  /** Gateways not heard of for longer than timeoutMs, and for how long. */
  silent(timeoutMs: number, now = Date.now()): { gatewayId: string; silentMs: number }[] {
    const out = [];
    for (const [gatewayId, g] of this.gateways) if (now - g.lastSeen > timeoutMs) out.push({ gatewayId, silentMs: now - g.lastSeen });
    return out;
  }

  /** Forget a gateway; its users go offline (unless connected elsewhere). */
  drop(gatewayId: string): PresenceChange[] {
    const g = this.gateways.get(gatewayId);
    if (!g) return [];
    const changes: PresenceChange[] = [];
    for (const socketId of [...g.sockets.keys()]) changes.push(...this.remove(gatewayId, socketId));
    this.gateways.delete(gatewayId);
    this.socketCounts.delete(gatewayId);
    return changes;
  }

  /** Whether the user has a socket on any gateway. */
  isOnline(tenantId: string, userId: string): boolean {
    return this.tenants.get(tenantId)?.has(userId) ?? false;
  }

  /** The tenant's online users, each since their earliest socket, oldest first. Shared: do not mutate. */
  list(tenantId: string): readonly PresenceUser[] {
    const cached = this.lists.get(tenantId);
    if (cached) return cached;
    const out: PresenceUser[] = [];
    for (const sockets of this.tenants.get(tenantId)?.values() ?? []) {
      let first: PresenceSocket | undefined;
      for (const s of sockets.values()) if (!first || s.since < first.since) first = s;
      if (first) out.push({ userId: first.userId, name: first.name, since: first.since });
    }
    this.lists.set(tenantId, out.sort(bySince));
    return out;
  }

  /** Users with a socket in a room, each since their earliest socket there joined it. */
  listRoom(tenantId: string, roomId: number): PresenceUser[] {
    const out: PresenceUser[] = [];
    for (const sockets of this.rooms.get(roomKey(tenantId, roomId))?.values() ?? []) {
      let first: PresenceSocket | undefined;
      for (const s of sockets.values()) if (!first || s.room!.since < first.room!.since) first = s;
      if (first) out.push({ userId: first.userId, name: first.name, since: first.room!.since });
    }
    return out.sort(bySince);
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
    for (const sockets of this.tenants.get(tenantId)?.values() ?? []) n += sockets.size;
    return n;
  }
}
