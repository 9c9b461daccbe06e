import { DeliveryEnvelope, subjects } from "@rt/contracts";
import type { Subscription } from "@rt/bus";
import { RecentIds } from "./dedupe.ts";
import { roomsFor } from "./rooms.ts";
import type { Gateway } from "./socket/types.ts";

/**
 * Deliver what services publish on `rt.deliver.>` to this gateway's sockets, once per envelope id.
 * The tenant in the room name comes from the envelope, so a delivery can only reach its tenant.
 */
export function startDelivery(gw: Gateway): Subscription {
  const seen = new RecentIds();
  return gw.bus.subscribe(subjects.deliverAll, (raw) => {
    const parsed = DeliveryEnvelope.safeParse(raw);
    if (!parsed.success) {
      gw.log.warn({ issues: parsed.error.issues.length }, "dropped malformed delivery envelope");
      return;
    }
    const env = parsed.data;
    if (!seen.add(env.id)) return;
    let op = gw.io.to(roomsFor(env.tenantId, env.target, env.data));
    if (env.exceptSocketId) op = op.except(env.exceptSocketId);
    const emit = op.emit.bind(op) as (event: string, data: unknown) => boolean;
    emit(env.event, env.data);
    if (env.event === "notification:new" && gw.config.LEGACY_ALIASES) emit("notification", env.data);
    gw.metrics.eventsOut.inc({ event: env.event.length <= 64 ? env.event : "long" });
  });
}
