import { DeliveryEnvelope } from "@rt/contracts";
import type { LogEntry, Subscription } from "@rt/bus";
import { RecentIds } from "./dedupe.ts";
import { enableTopicFanout } from "./fanout.ts";
import { eventLabel } from "../metrics.ts";
import { roomsFor } from "./rooms.ts";
import type { Gateway } from "../types.ts";

/** Socket.IO EVENT packet type. */
const EVENT = 2;

/** One envelope delivered live, at its log position. */
export interface Delivered {
  seq: number;
  env: DeliveryEnvelope;
  /** Size of the logged envelope. */
  bytes: number;
}

export interface Delivery extends Subscription {
  /** The last delivery-log position delivered to local sockets. */
  position(): number;
  /**
   * Every envelope delivered live after `after`, in log order, when this gateway still holds all
   * of them (the last RECENT_DELIVERIES); null when `after` is older. Read and joined in one tick,
   * it hands a recovering socket over to live delivery with nothing missed or doubled.
   */
  deliveredAfter(after: number): Delivered[] | null;
}

/** How many delivered envelopes a gateway keeps for the last step of a replay (a fraction of a second under load). */
export const RECENT_DELIVERIES = 4096;

/** Every packet one envelope becomes: the event, plus `notification` beside `notification:new` (LEGACY_ALIASES). */
export function packetsOf(config: Gateway["config"], env: DeliveryEnvelope, seq: number): unknown[][] {
  const offset = String(seq);
  const out = [[env.event, env.data, offset]];
  if (env.event === "notification:new" && config.LEGACY_ALIASES) out.push(["notification", env.data, offset]);
  return out;
}

/** Whether a broadcast reaches at least one local socket (a member of its rooms not excepted). */
function reachesLocal(byRoom: Map<string, Set<string>>, opts: { rooms: Set<string>; except: Set<string> }): boolean {
  for (const room of opts.rooms) for (const sid of byRoom.get(room) ?? []) if (!opts.except.has(sid)) return true;
  return false;
}

/**
 * Deliver the delivery log (what services publish on `rt.deliver.>`) to this gateway's sockets,
 * once per envelope id, each packet carrying its log position as the recovery offset. The tenant
 * in the room names comes from the envelope, so a delivery can only reach its own tenant.
 */
export async function startDelivery(gw: Gateway): Promise<Delivery> {
  // Plain room broadcasts go out through Bun topics (fanout.ts); everything else as before.
  if (gw.config.GATEWAY_TOPIC_FANOUT) enableTopicFanout(gw.io);
  const seen = new RecentIds();
  const adapter = gw.io.of("/").adapter;
  let position = 0;
  // Delivered envelopes after `floor`, oldest first; trimmed in halves so a push stays O(1).
  let recent: Delivered[] = [];
  let floor = 0;
  const onEntry = (e: LogEntry) => {
    position = e.seq;
    gw.metrics.logReceived.inc();
    const parsed = DeliveryEnvelope.safeParse(e.data);
    if (!parsed.success) {
      gw.log.warn({ seq: e.seq, issues: parsed.error.issues.length }, "dropped malformed delivery envelope");
      return;
    }
    const env = parsed.data;
    if (!seen.add(env.id)) return;
    const opts = {
      rooms: new Set(roomsFor(env.tenantId, env.target, env.data)),
      except: new Set(env.exceptSocketId ? [env.exceptSocketId] : []),
      flags: {},
    };
    if (reachesLocal(adapter.rooms, opts)) gw.metrics.logDelivered.inc();
    for (const data of packetsOf(gw.config, env, e.seq)) adapter.broadcast({ type: EVENT, data, nsp: "/" }, opts);
    recent.push({ seq: e.seq, env, bytes: e.bytes });
    if (recent.length > 2 * RECENT_DELIVERIES) {
      floor = recent[recent.length - RECENT_DELIVERIES - 1]!.seq;
      recent = recent.slice(-RECENT_DELIVERIES);
    }
    gw.metrics.eventsOut.inc({ event: eventLabel(env.event) });
    gw.log.debug({ traceId: env.traceId, event: env.event, id: env.id, target: env.target.kind }, "delivered");
  };
  const tail = await gw.bus.tailLog(onEntry);
  position = tail.startSeq;
  floor = Math.max(floor, tail.startSeq);
  const deliveredAfter = (after: number): Delivered[] | null => {
    if (after < floor) return null;
    // Binary search for the first entry past `after`.
    let lo = 0;
    let hi = recent.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (recent[mid]!.seq <= after) lo = mid + 1;
      else hi = mid;
    }
    return recent.slice(lo);
  };
  return { position: () => position, deliveredAfter, unsubscribe: () => tail.unsubscribe() };
}
