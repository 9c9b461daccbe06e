import type { SvcContext } from "@rt/contracts";
import { newTraceId } from "@rt/service-kit";
import type { Gateway, GatewaySocket } from "../types.ts";

/** The verified caller as services see it; null for an anonymous socket. */
export function svcContext(gw: Gateway, socket: GatewaySocket, traceId: string = newTraceId()): SvcContext | null {
  const p = socket.data.principal;
  if (!p) return null;
  return { tenantId: p.tenantId, userId: p.userId, roles: p.roles, name: p.name, socketId: socket.id, gatewayId: gw.id, traceId };
}
