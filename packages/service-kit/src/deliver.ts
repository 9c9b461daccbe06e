import { subjects, type DeliveryEnvelope, type DeliveryTarget, type ServerEventName, type ServerEventPayload } from "@rt/contracts";
import type { Bus } from "@rt/bus";
import { currentTraceparent } from "@rt/tracing";
import { currentTrace } from "./trace.ts";

interface DeliverFields {
  tenantId: string;
  target: DeliveryTarget;
  exceptSocketId?: string;
  /** A stable id makes repeated publishes of one fact deliver once. */
  id?: string;
}

/** A contract event and its payload: `deliver` refuses (at compile time) a payload of the wrong shape. */
export type DeliverInput<E extends ServerEventName = ServerEventName> = DeliverFields & { event: E; data: ServerEventPayload<E> };
/** Any event name and payload: only the publish API, whose publishers name their own events. */
export type RawDeliverInput = DeliverFields & { event: string; data: unknown };

export function toEnvelope(d: RawDeliverInput): DeliveryEnvelope {
  const traceId = currentTrace();
  const traceparent = currentTraceparent();
  return {
    id: d.id ?? crypto.randomUUID(),
    tenantId: d.tenantId,
    target: d.target,
    event: d.event,
    data: d.data,
    ...(d.exceptSocketId ? { exceptSocketId: d.exceptSocketId } : {}),
    ...(traceId ? { traceId } : {}),
    ...(traceparent ? { traceparent } : {}),
    ts: Date.now(),
  };
}

/** Hand a contract event to every gateway for delivery to the target's sockets. */
export function deliver<E extends ServerEventName>(bus: Bus, d: DeliverInput<E>): DeliveryEnvelope {
  return deliverRaw(bus, d);
}

/** `deliver` for events the contract does not name (the publish API); the caller validated the envelope. */
export function deliverRaw(bus: Bus, d: RawDeliverInput): DeliveryEnvelope {
  const env = toEnvelope(d);
  bus.publish(subjects.deliver(env.tenantId, env.target.kind, env.target.id), env);
  return env;
}

export const nowIso = () => new Date().toISOString();
