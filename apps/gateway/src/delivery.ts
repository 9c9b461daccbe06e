import { DeliveryEnvelope } from "@rt/contracts";
import type { LogEntry, Subscription } from "@rt/bus";
import { RecentIds } from "./dedupe.ts";
import { enableTopicFanout } from "./fanout.ts";
import { eventLabel } from "./metrics.ts";
import { roomsFor } from "./rooms.ts";
import type { Gateway } from "./socket/types.ts";

/** Socket.IO EVENT packet type. */
const EVENT = 2;

export interface Delivery extends Subscription {
  /** The last delivery-log position delivered to local sockets. */
  position(): number;
}

/** Every packet one envelope becomes: the event, plus `notification` beside `notification:new` (LEGACY_ALIASES). */
export function packetsOf(config: Gateway["config"], env: DeliveryEnvelope, seq: number): unknown[][] {
  const offset = String(seq);
  const out = [[env.event, env.data, offset]];
  if (env.event === "notification:new" && config.LEGACY_ALIASES) out.push(["notification", env.data, offset]);
  return out;
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
  const onEntry = (e: LogEntry) => {
    position = e.seq;
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
    for (const data of packetsOf(gw.config, env, e.seq)) adapter.broadcast({ type: EVENT, data, nsp: "/" }, opts);
    gw.metrics.eventsOut.inc({ event: eventLabel(env.event) });
    gw.log.debug({ traceId: env.traceId, event: env.event, id: env.id, target: env.target.kind }, "delivered");
  };
  const tail = await gw.bus.tailLog(onEntry);
  position = tail.startSeq;
  return { position: () => position, unsubscribe: () => tail.unsubscribe() };
}
