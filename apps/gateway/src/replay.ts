import { DeliveryEnvelope, subjects, type Principal } from "@rt/contracts";
import type { Bus } from "@rt/bus";
import { roomsFor } from "./rooms.ts";
import type { Delivery } from "./delivery.ts";
import type { GatewaySocket } from "./socket/types.ts";

/** Socket.IO EVENT packet type. */
const EVENT = 2;
type Writable = { packet(p: { type: number; data: unknown }): void };
/** Log positions read per step: what is read is sent at once, so an interrupted replay still moved the client's offset. */
const CHUNK = 2000;
/** A replay that has not reached the live position by then gives up (the log outruns it). */
const MAX_REPLAY_MS = 60_000;

export interface ReplayDeps {
  bus: Bus;
  delivery: Delivery;
  /** Every packet of one envelope (the event, plus legacy aliases). */
  packetsOf(env: DeliveryEnvelope, seq: number): unknown[][];
}

export interface ReplayPlan {
  principal: Principal;
  /** The socket id the session had: deliveries sent "except" it were not for it. */
  sid: string;
  /** The client's last log position. */
  after: number;
  /** Rooms whose deliveries after `after` are replayed (the session's, as the new token still grants them). */
  replayRooms: Set<string>;
  /** Joined in the tick the replay reaches the live position. */
  join(): void;
}

/**
 * Replay to a connected (but not yet joined) socket what its rooms got after `after`, in log
 * order, then join its rooms in the same tick as the last delivered envelope is sent: from there
 * on live delivery reaches it, and nothing falls between or arrives twice. The bulk comes from the
 * delivery log, the last stretch from what this gateway delivered live (`deliveredAfter`), which
 * is read and joined without an await in between. Returns false when the log no longer holds the
 * range, the socket went, or the replay could not catch up; the socket has then joined nothing.
 */
export async function replayAndJoin(deps: ReplayDeps, socket: GatewaySocket, plan: ReplayPlan): Promise<boolean> {
  const tenantId = plan.principal.tenantId;
  const seen = new Set<string>();
  const send = (seq: number, env: DeliveryEnvelope) => {
    if (env.tenantId !== tenantId || seen.has(env.id)) return;
    seen.add(env.id);
    if (env.exceptSocketId === plan.sid) return;
    if (!roomsFor(env.tenantId, env.target, env.data).some((r) => plan.replayRooms.has(r))) return;
    // The socket's own write (socket.io marks it private): in order with the packets written before.
    for (const data of deps.packetsOf(env, seq)) (socket as unknown as Writable).packet({ type: EVENT, data });
  };
  let from = plan.after;
  const deadline = Date.now() + MAX_REPLAY_MS;
  while (socket.connected && Date.now() < deadline) {
    const recent = deps.delivery.deliveredAfter(from);
    if (recent) {
      for (const d of recent) send(d.seq, d.env);
      plan.join();
      return true;
    }
    const until = Math.min(deps.delivery.position(), from + CHUNK);
    const entries = await deps.bus.readLog(subjects.deliverTenant(tenantId), from, until);
    if (!entries) return false;
    for (const e of entries) {
      const env = DeliveryEnvelope.safeParse(e.data);
      if (env.success) send(e.seq, env.data);
    }
    from = until;
  }
  return false;
}
