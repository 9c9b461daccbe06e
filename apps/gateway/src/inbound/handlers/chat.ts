import { AppError, toRoom } from "@rt/contracts";
import { callService, deliver, nowIso } from "@rt/service-kit";
import { rooms } from "../../outbound/rooms.ts";
import type { Gateway, GatewaySocket, HandlerTable } from "../../types.ts";

/** Leave the socket's chat room, telling the room. */
function leaveChatRoom(gw: Gateway, socket: GatewaySocket, tenantId: string, userId: string) {
  const current = socket.data.chatRoom;
  if (current === undefined) return;
  socket.leave(rooms.chat(tenantId, current));
  socket.data.chatRoom = undefined;
  gw.presence.room(socket.id, undefined);
  deliver(gw.bus, { tenantId, target: toRoom(current), event: "member:left", data: { userId, roomId: current, timestamp: nowIso() } });
}

/** Chat: membership and messages are the chat service's (forwarded); joining sockets to rooms and typing are the edge's. */
export const chatHandlers: HandlerTable = {
  async join_room(gw, socket, { roomId }, ctx) {
    await callService(gw.bus, "chat", "room-authorize", ctx, { roomId }, { timer: gw.metrics.busTimer });
    if (socket.data.chatRoom !== roomId) {
      leaveChatRoom(gw, socket, ctx.tenantId, ctx.userId);
      socket.join(rooms.chat(ctx.tenantId, roomId));
      socket.data.chatRoom = roomId;
      gw.presence.room(socket.id, roomId);
    }
    // Joined before announcing, so the joiner hears its own member:joined as in the seed.
    const data = { userId: ctx.userId, roomId, timestamp: nowIso() };
    deliver(gw.bus, { tenantId: ctx.tenantId, target: toRoom(roomId), event: "member:joined", data });
    return data;
  },

  leave_room(gw, socket, { roomId }, ctx) {
    if (socket.data.chatRoom === roomId) leaveChatRoom(gw, socket, ctx.tenantId, ctx.userId);
    return { roomId };
  },

  "user:typing": (gw, socket, { roomId }, ctx) => typing(gw, socket, roomId, ctx.tenantId, ctx.userId, "user:typing"),
  "user:stop_typing": (gw, socket, { roomId }, ctx) => typing(gw, socket, roomId, ctx.tenantId, ctx.userId, "user:stop_typing"),
};

/** Typing goes to the room except the sender; only a socket that joined (so was authorized) may type there. */
function typing(gw: Gateway, socket: GatewaySocket, roomId: number, tenantId: string, userId: string, event: "user:typing" | "user:stop_typing") {
  if (socket.data.chatRoom !== roomId) throw new AppError("FORBIDDEN", "join the room first");
  const data = { userId, roomId, timestamp: nowIso() };
  deliver(gw.bus, { tenantId, target: toRoom(roomId), event, data, exceptSocketId: socket.id });
  return data;
}
