import { AppError, toTenant } from "@rt/contracts";
import { deliver, nowIso, syncAllowed } from "@rt/service-kit";
import { paymentsRoom, rooms } from "../../outbound/rooms.ts";
import type { HandlerTable } from "../../types.ts";

/** Seed 001: sync rooms, the personal room, activity and ping are edge concerns (no service state). */
export const syncHandlers: HandlerTable = {
  "join-data-sync"(gw, socket, { entityTypes }, ctx) {
    // Every room is kept in the socket's session snapshot: a cap keeps both bounded. Refused as
    // VALIDATION, not RATE_LIMITED: waiting does not help, leaving types does.
    const barred = entityTypes.filter((e) => !syncAllowed(e, ctx.roles, gw.config.SYNC_TYPE_ROLES));
    if (barred.length) throw new AppError("FORBIDDEN", `your roles may not join data-sync type ${barred[0]}`);
    const wanted = entityTypes.map((e) => rooms.sync(ctx.tenantId, e));
    const max = gw.config.MAX_SYNC_TYPES_PER_SOCKET;
    let held = 0;
    for (const r of socket.rooms) if (rooms.isSync(r)) held++;
    const added = new Set(wanted.filter((r) => !socket.rooms.has(r))).size;
    if (held + added > max) throw new AppError("VALIDATION", `too many data-sync types on this socket (max ${max}); leave some first`);
    gw.tenantLimits.checkSyncRooms(ctx.tenantId, wanted, (r) => gw.io.of("/").adapter.rooms.has(r));
    socket.join(wanted);
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
    const room = paymentsRoom(ctx, gw.config.PAYMENTS_ADMIN_ROLES);
    socket.join(room);
    return { scope: room === rooms.paymentsAll(ctx.tenantId) ? "tenant" : "own" };
  },
  "unsubscribe:payments"(_gw, socket, _i, ctx) {
    socket.leave(rooms.paymentsAll(ctx.tenantId));
    socket.leave(rooms.paymentsOwn(ctx.tenantId, ctx.userId));
    return {};
  },
};
