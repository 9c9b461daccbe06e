import type { Principal } from "@rt/contracts";
import { callService, syncAllowed, type PlatformConfig } from "@rt/service-kit";
import { isPaymentsRoom, isSessionRoom, paymentsRoom, rooms, sessionRooms } from "../outbound/rooms.ts";
import type { RecoveryAdapter } from "../outbound/recovery.ts";
import type { Gateway, GatewaySocket } from "../types.ts";
import { svcContext } from "./context.ts";

/**
 * Make a socket an authenticated session: its tenant's deliveries followed on this gateway, its
 * personal, role and tenant rooms, presence, the
 * disconnect at token expiry, and its unread count. Used on connect and by `authenticate`; a
 * recovered socket joins its rooms later, when its replay hands over (`joinRooms` false).
 */
export function startSession(gw: Gateway, socket: GatewaySocket, principal: Principal, exp: number | undefined, joinRooms = true) {
  gw.expiries.delete(socket, socket.data.exp);
  socket.data.principal = principal;
  socket.data.exp = exp;
  const { tenantId, userId } = principal;
  // Followed since the handshake (or `authenticate`) awaited `follow`: rooms joined now miss nothing.
  gw.delivery.hold(socket.id, tenantId);
  // The presence room is not a session room: a later token keeps it (grantedRooms), a recovered socket has it stored.
  if (joinRooms) socket.join([...sessionRooms(principal), rooms.presence(principal.tenantId, socket.data.presence ?? "user")]);
  gw.presence.connect({ tenantId, userId, name: principal.name, socketId: socket.id, since: socket.data.since, connId: crypto.randomUUID() });
  // A recovered socket is back in its chat room: presence hears it as a join.
  if (socket.data.chatRoom !== undefined) gw.presence.room(socket.id, socket.data.chatRoom);
  gw.expiries.add(socket, exp);
  void pushUnreadCount(gw, socket);
}

/**
 * Extend a session with a fresher token of the same user. Its personal, tenant, role and payments
 * rooms follow the new token: a role it no longer carries is left, a new one joined.
 */
export function refreshSession(gw: Gateway, socket: GatewaySocket, principal: Principal, exp: number | undefined) {
  gw.expiries.delete(socket, socket.data.exp);
  socket.data.principal = { ...principal };
  socket.data.exp = exp;
  // A recovered socket still replaying joins its rooms at the handover: change what it will join.
  const claim = (socket.nsp.adapter as unknown as Partial<RecoveryAdapter>).claims?.get(socket.id);
  if (claim?.pending) claim.pending = grantedRooms(claim.pending, principal, gw.config);
  else {
    const granted = grantedRooms(socket.rooms, principal, gw.config);
    socket.join(granted);
    for (const room of [...socket.rooms]) if (!granted.includes(room)) socket.leave(room);
  }
  gw.expiries.add(socket, exp);
}

/**
 * The rooms a session keeps under a (new) token of its user: the chat rooms and the sync rooms
 * its roles still allow (SYNC_TYPE_ROLES) as they were; the personal, tenant and role rooms, and
 * the scope of a payments subscription, as this token grants them.
 */
export function grantedRooms(had: Iterable<string>, principal: Principal, config: Pick<PlatformConfig, "PAYMENTS_ADMIN_ROLES" | "SYNC_TYPE_ROLES">): string[] {
  const all = [...had];
  const payments = all.some(isPaymentsRoom) ? [paymentsRoom(principal, config.PAYMENTS_ADMIN_ROLES)] : [];
  const barred = new Set(
    Object.keys(config.SYNC_TYPE_ROLES)
      .filter((type) => !syncAllowed(type, principal.roles, config.SYNC_TYPE_ROLES))
      .map((type) => rooms.sync(principal.tenantId, type)),
  );
  const kept = all.filter((r) => !isSessionRoom(r) && !isPaymentsRoom(r) && !barred.has(r));
  return [...new Set([...kept, ...sessionRooms(principal), ...payments])];
}

export function endSession(gw: Gateway, socket: GatewaySocket) {
  gw.expiries.delete(socket, socket.data.exp);
  gw.delivery.release(socket.id);
  gw.presence.disconnect(socket.id);
}

/** The shared expiry timer's handler: a socket whose token ran out is told so and disconnected. */
export function expireSession(gw: Gateway, socket: GatewaySocket) {
  if (!socket.connected) return;
  gw.log.info({ userId: socket.data.principal?.userId, socketId: socket.id }, "token expired, disconnecting");
  socket.emit("error", { event: "token", code: "UNAUTHENTICATED", message: "token expired", timestamp: new Date().toISOString() });
  socket.disconnect(true);
}

/** docs/PROTOCOL.md#notifications: each socket gets its unread count on connect; a missing notifications service is not an error. */
async function pushUnreadCount(gw: Gateway, socket: GatewaySocket) {
  const ctx = svcContext(gw, socket);
  if (!ctx) return;
  try {
    const data = await callService(gw.bus, "notifications", "unread-count", ctx, {}, { timer: gw.metrics.busTimer });
    socket.emit("notification:unread-count", { ...data, timestamp: new Date().toISOString() });
  } catch (err) {
    gw.log.debug({ err: String(err) }, "unread count unavailable on connect");
  }
}
