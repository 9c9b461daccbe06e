import { HEARTBEAT_MS, SnapshotRequest, socketDigest, subjects, type Heartbeat, type PresenceDelta, type PresenceSocket } from "@rt/contracts";
import type { Bus, Subscription } from "@rt/bus";

/**
 * This gateway's authenticated sockets, told to presence as deltas, proven by heartbeats with a
 * digest, and served as paged snapshots when presence asks.
 */
export class LocalPresence {
  private sockets = new Map<string, PresenceSocket>();
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
    this.digest ^= socketDigest(s.socketId);
    this.send("connect", s);
  }

  disconnect(socketId: string) {
    const s = this.sockets.get(socketId);
    if (!s) return;
    this.sockets.delete(socketId);
    this.digest ^= socketDigest(socketId);
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
