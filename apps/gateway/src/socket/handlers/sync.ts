import { AppError, toTenant } from "@rt/contracts";
import { deliver, nowIso } from "@rt/service-kit";
import { rooms } from "../../rooms.ts";
import type { HandlerTable } from "../types.ts";

/** Seed 001: sync rooms, the personal room, activity and ping are edge concerns (no service state). */
export const syncHandlers: HandlerTable = {
  "join-data-sync"(_gw, socket, { entityTypes }, ctx) {
    socket.join(entityTypes.map((e) => rooms.sync(ctx.tenantId, e)));
    return { entityTypes };
  },
  "leave-data-sync"(_gw, socket, { entityTypes }, ctx) {
    for (const e of entityTypes) socket.leave(rooms.sync(ctx.tenantId, e));
    return { entityTypes };
  },
  "join-user-room"(_gw, _socket, { userId }, ctx) {
    // The personal room is joined at connect; this only confirms it, and never opens another's.
    if (userId !== undefined && userId !== ctx.userId) throw new AppError("FORBIDDEN", "not your user room");
    return { userId: ctx.userId };
  },
  "user:activity"(gw, socket, input, ctx) {
    const data = { userId: ctx.userId, name: ctx.name, ...input, timestamp: nowIso() };
    deliver(gw.bus, { tenantId: ctx.tenantId, target: toTenant(), event: "user:activity", data, exceptSocketId: socket.id });
    return data;
  },
  "subscribe:payments"(gw, socket, _i, ctx) {
    const all = ctx.roles.some((r) => gw.config.PAYMENTS_ADMIN_ROLES.includes(r));
    socket.join(all ? rooms.paymentsAll(ctx.tenantId) : rooms.paymentsOwn(ctx.tenantId, ctx.userId));
    return { scope: all ? "tenant" : "own" };
  },
  "unsubscribe:payments"(_gw, socket, _i, ctx) {
    socket.leave(rooms.paymentsAll(ctx.tenantId));
    socket.leave(rooms.paymentsOwn(ctx.tenantId, ctx.userId));
    return {};
  },
};
