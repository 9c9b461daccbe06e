import { AppError } from "@rt/contracts";
import { TokenError } from "@rt/auth";
import { refreshSession, startSession } from "../session.ts";
import type { HandlerTable } from "../../types.ts";

/** Anonymous sockets may only ping and authenticate. */
export const publicHandlers: HandlerTable = {
  ping(_gw, socket) {
    const data = { timestamp: new Date().toISOString() };
    socket.emit("pong", data);
    return data;
  },

  /** Seed 002 method 2, and the client SDK's token refresh (same user, fresher token). */
  async authenticate(gw, socket, { token }) {
    const fail = (reason: string) => {
      gw.metrics.authFailures.inc({ reason });
      gw.log.info({ reason, socketId: socket.id, userId: socket.data.principal?.userId ?? null }, "authenticate refused");
      socket.emit("authenticated", { success: false, error: reason, timestamp: new Date().toISOString() });
      return new AppError("UNAUTHENTICATED", reason);
    };
    let v: Awaited<ReturnType<typeof gw.verify>>;
    try {
      v = await gw.verify(token);
    } catch (err) {
      throw fail(err instanceof TokenError ? err.message : "token invalid");
    }
    const { exp, ...principal } = v;
    const current = socket.data.principal;
    if (current && (current.tenantId !== principal.tenantId || current.userId !== principal.userId)) {
      throw fail("a socket cannot change user; reconnect instead");
    }
    if (current) refreshSession(gw, socket, principal, exp);
    else {
      // The tenant's deliveries reach this gateway before the socket joins its rooms.
      await gw.delivery.follow(principal.tenantId);
      if (!socket.connected) throw fail("socket closed");
      startSession(gw, socket, principal, exp);
    }
    const user = { id: principal.userId, name: principal.name, roles: principal.roles, tenantId: principal.tenantId };
    const payload = { success: true as const, user, timestamp: new Date().toISOString() };
    socket.emit("authenticated", payload);
    gw.log.info({ userId: principal.userId, tenantId: principal.tenantId, socketId: socket.id }, "socket authenticated");
    return payload;
  },
};
