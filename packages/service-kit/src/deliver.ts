import { subjects, type DeliveryEnvelope, type DeliveryTarget, type ServerEventName } from "@rt/contracts";
import type { Bus } from "@rt/bus";
import { currentTrace } from "./trace.ts";

export interface DeliverInput {
  tenantId: string;
  target: DeliveryTarget;
  event: ServerEventName | (string & {});
  data: unknown;
  exceptSocketId?: string;
  /** A stable id makes repeated publishes of one fact deliver once. */
  id?: string;
}

export function toEnvelope(d: DeliverInput): DeliveryEnvelope {
  const traceId = currentTrace();
  return {
    id: d.id ?? crypto.randomUUID(),
    tenantId: d.tenantId,
    target: d.target,
    event: d.event,
    data: d.data,
    ...(d.exceptSocketId ? { exceptSocketId: d.exceptSocketId } : {}),
    ...(traceId ? { traceId } : {}),
    ts: Date.now(),
  };
}

/** Hand an event to every gateway for delivery to the target's sockets. */
export function deliver(bus: Bus, d: DeliverInput): DeliveryEnvelope {
  const env = toEnvelope(d);
  bus.publish(subjects.deliver(env.tenantId, env.target.kind, env.target.id), env);
  return env;
}

export const nowIso = () => new Date().toISOString();
