import { fromSubjectToken, subjectToken, type DeliveryTarget, type PresenceMode, type Principal } from "@rt/contracts";

/**
 * Socket.IO room names, always prefixed by the verified tenant. Ids pass through subjectToken so
 * no id can contain the `:` separator: two tenants can never share a room name.
 */
const t = subjectToken;
export const rooms = {
  user: (tenantId: string, userId: string) => `u:${t(tenantId)}:${t(userId)}`,
  role: (tenantId: string, role: string) => `r:${t(tenantId)}:${t(role)}`,
  tenant: (tenantId: string) => `t:${t(tenantId)}`,
  chat: (tenantId: string, roomId: string | number) => `c:${t(tenantId)}:${t(String(roomId))}`,
  /** Every chat room name of a tenant starts with this. */
  chatPrefix: (tenantId: string) => `c:${t(tenantId)}:`,
  sync: (tenantId: string, entityType: string) => `s:${t(tenantId)}:${t(entityType)}`,
  isSync: (room: string) => room.startsWith("s:"),
  paymentsAll: (tenantId: string) => `p:${t(tenantId)}:*`,
  paymentsOwn: (tenantId: string, userId: string) => `p:${t(tenantId)}:u:${t(userId)}`,
  /** The tenant's sockets that hear tenant-wide presence this way (chosen at the handshake, kept for the socket's life). */
  presence: (tenantId: string, mode: PresenceMode | string) => `o:${t(tenantId)}:${t(mode)}`,
};

/** The rooms a token grants by itself: the user's own, its tenant's and one per role. */
export function sessionRooms(p: Pick<Principal, "tenantId" | "userId" | "roles">): string[] {
  return [rooms.user(p.tenantId, p.userId), rooms.tenant(p.tenantId), ...p.roles.map((r) => rooms.role(p.tenantId, r))];
}

/** A personal, tenant or role room: what a token grants, recomputed from every new token. */
export const isSessionRoom = (room: string) => room.startsWith("u:") || room.startsWith("t:") || room.startsWith("r:");

/** The payments room a subscriber gets: the whole tenant's for an admin role, else its own. */
export function paymentsRoom(p: Pick<Principal, "tenantId" | "userId" | "roles">, adminRoles: readonly string[]): string {
  return p.roles.some((r) => adminRoles.includes(r)) ? rooms.paymentsAll(p.tenantId) : rooms.paymentsOwn(p.tenantId, p.userId);
}
export const isPaymentsRoom = (room: string) => room.startsWith("p:");

/** The local rooms a delivery goes to. Payments fan out to admins and to the owning user. */
export function roomsFor(tenantId: string, target: DeliveryTarget, data: unknown): string[] {
  const id = target.id ?? "";
  switch (target.kind) {
    case "user":
      return [rooms.user(tenantId, id)];
    case "role":
      return [rooms.role(tenantId, id)];
    case "room":
      return [rooms.chat(tenantId, id)];
    case "sync":
      return [rooms.sync(tenantId, id)];
    case "tenant":
      return [rooms.tenant(tenantId)];
    case "presence":
      return [rooms.presence(tenantId, id)];
    case "payments": {
      const owner = paymentOwner(data);
      return owner ? [rooms.paymentsAll(tenantId), rooms.paymentsOwn(tenantId, owner)] : [rooms.paymentsAll(tenantId)];
    }
  }
}

/** `payment_update` carries `{ data: { userId } }`; a bare `{ userId }` is accepted too. */
function paymentOwner(data: unknown): string | undefined {
  const d = data as { userId?: unknown; data?: { userId?: unknown } } | null;
  const v = d?.data?.userId ?? d?.userId;
  return typeof v === "string" || typeof v === "number" ? String(v) : undefined;
}

/**
 * A room name as an operator reads it (`room:12`, `role:admin`, `sync:Task`, `user:u1`, `tenant`,
 * `payments:all`, `payments:u1`, `presence:batch`); null for Socket.IO's own per-socket room.
 */
export function describeRoom(name: string): string | null {
  const [kind, , a, b] = name.split(":");
  const id = (s: string | undefined) => fromSubjectToken(s ?? "");
  switch (kind) {
    case "u":
      return `user:${id(a)}`;
    case "r":
      return `role:${id(a)}`;
    case "t":
      return "tenant";
    case "c":
      return `room:${id(a)}`;
    case "s":
      return `sync:${id(a)}`;
    case "p":
      return a === "*" ? "payments:all" : `payments:${id(b)}`;
    case "o":
      return `presence:${id(a)}`;
    default:
      return null;
  }
}
