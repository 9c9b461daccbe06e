import { HEARTBEAT_MS, SnapshotRequest, presenceDigest, subjects, type Heartbeat, type PresenceDelta, type PresenceSocket } from "@rt/contracts";
import type { Bus, Subscription } from "@rt/bus";

/**
 * This gateway's authenticated sockets, told to presence as deltas, proven by heartbeats with a
 * digest, and served as paged snapshots when presence asks.
 */
export class LocalPresence {
  private sockets = new Map<string, PresenceSocket>();
  /** Room changes per socket, for the ids of room:user-online / room:user-offline. */
  private roomSeq = new Map<string, number>();
  private digest = 0;
  private timer: ReturnType<typeof setInterval>;
  private snapshotSub: Subscription;

  constructor(
    private bus: Bus,
    private gatewayId: string,
    private socketCount: () => number,
  ) {
    this.timer = setInterval(() => this.beat(), HEARTBEAT_MS);
    this.snapshotSub = bus.respond(
      subjects.gatewaySnapshot(gatewayId),
      (raw) => {
        const { offset, limit } = SnapshotRequest.parse(raw);
        const all = [...this.sockets.values()];
        return { sockets: all.slice(offset, offset + limit), total: all.length };
      },
      { queue: `gw-${gatewayId}` },
    );
    this.beat();
  }

  connect(s: PresenceSocket) {
    if (this.sockets.has(s.socketId)) return;
    this.sockets.set(s.socketId, s);
    this.digest ^= presenceDigest(s);
    this.send("connect", s);
  }

  /** The socket joined a chat room, or (undefined) left its room. */
  room(socketId: string, roomId: number | undefined) {
    const old = this.sockets.get(socketId);
    if (!old || old.room?.roomId === roomId) return;
    // Every change advances seq, a leave too: the next join of the same room is a new event.
    const seq = (this.roomSeq.get(socketId) ?? 0) + 1;
    this.roomSeq.set(socketId, seq);
    const { room: _left, ...rest } = old;
    const s: PresenceSocket = roomId === undefined ? rest : { ...rest, room: { roomId, since: new Date().toISOString(), seq } };
    this.sockets.set(socketId, s);
    this.digest ^= presenceDigest(old) ^ presenceDigest(s);
    this.send("room", s);
  }

  disconnect(socketId: string) {
    const s = this.sockets.get(socketId);
    if (!s) return;
    this.sockets.delete(socketId);
    this.roomSeq.delete(socketId);
    this.digest ^= presenceDigest(s);
    this.send("disconnect", s);
  }

  private send(op: PresenceDelta["op"], socket: PresenceSocket) {
    const d: PresenceDelta = { gatewayId: this.gatewayId, op, socket, ts: Date.now() };
    this.bus.publish(subjects.presenceDelta(this.gatewayId), d);
  }

  private beat() {
    const hb: Heartbeat = {
      gatewayId: this.gatewayId,
      socketCount: this.socketCount(),
      userSocketCount: this.sockets.size,
      digest: this.digest,
      ts: Date.now(),
    };
    this.bus.publish(subjects.heartbeat(this.gatewayId), hb);
  }

  /** Stop beating; presence drops this gateway's users when the beats stop. */
  stop() {
    clearInterval(this.timer);
    this.snapshotSub.unsubscribe();
  }
}
