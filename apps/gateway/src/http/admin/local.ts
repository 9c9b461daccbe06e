import type { AdminAffected, AdminCountsPart, AdminListPart, AdminRoomsPart, AdminStatsPart } from "@rt/contracts";
import type { AdminCountsInput, AdminDisconnectInput, AdminLeaveInput, AdminListInput, AdminRoomsInput } from "@rt/contracts";
import type { z } from "zod";
import { describeRoom, rooms } from "../../outbound/rooms.ts";
import type { Gateway, GatewaySocket } from "../../types.ts";

/** Inputs arrive parsed (serve.ts); answers are the contract's per-gateway parts. */
type In<S extends z.ZodType> = z.output<S>;
type Out<S extends z.ZodType> = z.input<S>;

/** One gateway's answers about its own sockets: what every gateway contributes to the cluster-wide API. */
const sockets = (gw: Gateway): GatewaySocket[] => [...gw.io.of("/").sockets.values()];

function matches(s: GatewaySocket, f: { tenantId?: string; userId?: string; socketId?: string; roomId?: string }): boolean {
  const p = s.data.principal;
  if (f.socketId !== undefined && s.id !== f.socketId) return false;
  if (f.tenantId !== undefined && p?.tenantId !== f.tenantId) return false;
  if (f.userId !== undefined && p?.userId !== f.userId) return false;
  if (f.roomId !== undefined && !s.rooms.has(rooms.chat(f.tenantId!, f.roomId))) return false;
  return true;
}

export function listLocal(gw: Gateway, f: In<typeof AdminListInput>): Out<typeof AdminListPart> {
  const found = sockets(gw).filter((s) => matches(s, f));
  return {
    truncated: found.length > f.limit,
    connections: found.slice(0, f.limit).map((s) => {
      const p = s.data.principal;
      return {
        socketId: s.id,
        gatewayId: gw.id,
        tenantId: p?.tenantId ?? null,
        userId: p?.userId ?? null,
        name: p?.name ?? null,
        transport: s.conn.transport.name,
        since: s.data.since,
        rooms: [...s.rooms].map(describeRoom).filter((r): r is string => r !== null),
      };
    }),
  };
}

/** The client is told why (an `error` event, event `admin`), then closed without recovery. */
export function disconnectLocal(gw: Gateway, f: In<typeof AdminDisconnectInput>): Out<typeof AdminAffected> {
  const found = sockets(gw).filter((s) => matches(s, f));
  for (const s of found) {
    s.emit("error", { event: "admin", code: "FORBIDDEN", message: `disconnected by an administrator: ${f.reason}`, timestamp: new Date().toISOString() });
    s.disconnect(true);
  }
  return { count: found.length };
}

export function leaveLocal(gw: Gateway, f: In<typeof AdminLeaveInput>): Out<typeof AdminAffected> {
  const room = rooms.chat(f.tenantId, f.roomId);
  const found = sockets(gw).filter((s) => matches(s, { tenantId: f.tenantId, userId: f.userId }) && s.rooms.has(room));
  for (const s of found) {
    void s.leave(room);
    if (String(s.data.chatRoom) === f.roomId) s.data.chatRoom = undefined;
  }
  return { count: found.length };
}

export function countsLocal(gw: Gateway, f: In<typeof AdminCountsInput>): Out<typeof AdminCountsPart> {
  const byTenant: Record<string, number> = {};
  let total = 0;
  for (const s of sockets(gw)) {
    const t = s.data.principal?.tenantId;
    if (f.tenantId !== undefined && t !== f.tenantId) continue;
    total++;
    if (t !== undefined) byTenant[t] = (byTenant[t] ?? 0) + 1;
  }
  return { sockets: total, byTenant };
}

export function roomsLocal(gw: Gateway, f: In<typeof AdminRoomsInput>): Out<typeof AdminRoomsPart> {
  const prefix = rooms.chatPrefix(f.tenantId);
  const out: Out<typeof AdminRoomsPart>["rooms"] = [];
  const nsp = gw.io.of("/");
  for (const [name, ids] of nsp.adapter.rooms) {
    if (!name.startsWith(prefix)) continue;
    const users = new Set<string>();
    for (const id of ids) {
      const u = nsp.sockets.get(id)?.data.principal?.userId;
      if (u !== undefined) users.add(u);
    }
    out.push({ roomId: describeRoom(name)!.slice("room:".length), sockets: ids.size, users: [...users] });
  }
  return { rooms: out };
}

const total = async (c: { get(): Promise<{ values: { value: number; labels: Record<string, unknown> }[] }> }, skip?: (l: Record<string, unknown>) => boolean) =>
  (await c.get()).values.filter((v) => !skip?.(v.labels)).reduce((a, v) => a + v.value, 0);

export async function statsLocal(gw: Gateway): Promise<Out<typeof AdminStatsPart>> {
  const m = gw.metrics;
  return {
    sockets: gw.io.of("/").sockets.size,
    eventsIn: await total(m.eventsIn),
    deliveries: await total(m.eventsOut),
    errors: await total(m.acks, (l) => l.code === "OK"),
    rateLimited: await total(m.rateLimited),
    authFailures: await total(m.authFailures),
    uptimeSeconds: Math.round(process.uptime()),
  };
}
