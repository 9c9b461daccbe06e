import { z } from "zod";
import { ErrorBody } from "./errors.ts";
import { TargetKind } from "./subjects.ts";
import type { PresenceMode } from "./events/presence.ts";

/** Event names a publisher may not use: Socket.IO reserves them. */
export const RESERVED_EVENTS = ["connect", "connect_error", "disconnect", "disconnecting", "error", "newListener", "removeListener"] as const;

export const EventName = z
  .string()
  .min(1)
  .max(100)
  .refine((e) => !(RESERVED_EVENTS as readonly string[]).includes(e), "reserved event name");

export const DeliveryTarget = z
  .object({ kind: TargetKind, id: z.string().min(1).max(128).optional() })
  .refine((t) => t.kind === "tenant" || t.kind === "payments" || t.id !== undefined, {
    message: "id is required for this kind",
    path: ["id"],
  });
export type DeliveryTarget = z.infer<typeof DeliveryTarget>;

/** Delivery targets, built in one place (services and the gateway alike). */
export const toUser = (userId: string): DeliveryTarget => ({ kind: "user", id: userId });
export const toRole = (role: string): DeliveryTarget => ({ kind: "role", id: role });
export const toRoom = (roomId: number | string): DeliveryTarget => ({ kind: "room", id: String(roomId) });
export const toTenant = (): DeliveryTarget => ({ kind: "tenant" });
/** The tenant's sockets that chose this presence mode (docs/PROTOCOL.md#presence). */
export const toPresence = (mode: PresenceMode): DeliveryTarget => ({ kind: "presence", id: mode });

/** What a publisher hands over (NATS, SDK or HTTP): the platform adds id and ts. */
export const PublishEnvelope = z.object({
  tenantId: z.string().min(1).max(128),
  target: DeliveryTarget,
  event: EventName,
  data: z.unknown(),
});
export type PublishEnvelope = z.infer<typeof PublishEnvelope>;

/** On `rt.deliver.*`: every gateway delivers it to its local sockets of that target, once per id. */
export const DeliveryEnvelope = PublishEnvelope.extend({
  id: z.string().min(1).max(200),
  exceptSocketId: z.string().optional(),
  /** The id of the client event or HTTP request that caused it, for logs (never sent to clients). */
  traceId: z.string().max(200).optional(),
  /** W3C `traceparent` of the span that published it (tracing on only): the gateways' delivery spans join that trace. */
  traceparent: z.string().max(100).optional(),
  ts: z.number(),
});
export type DeliveryEnvelope = z.infer<typeof DeliveryEnvelope>;

/** On `rt.dlq.<durable>.<subject>`: an event its consumer failed on until its retention nearly ran out. */
export const DeadLetter = z.object({
  subject: z.string(),
  durable: z.string(),
  data: z.unknown(),
  deliveries: z.number().int(),
  /** When the event was stored (epoch ms). */
  publishedAt: z.number(),
  /** The last failure's message. */
  error: z.string(),
});
export type DeadLetter = z.infer<typeof DeadLetter>;

/** The verified caller of a service action; built by the gateway, never from client payloads. */
export const SvcContext = z.object({
  tenantId: z.string(),
  userId: z.string(),
  roles: z.array(z.string()),
  name: z.string(),
  socketId: z.string().optional(),
  gatewayId: z.string(),
  traceId: z.string(),
});
export type SvcContext = z.infer<typeof SvcContext>;

/** `data` is the client's payload as sent (absent when the client sent none); the service parses it. */
export const SvcRequest = z.object({ ctx: SvcContext, data: z.unknown().optional() });
export type SvcRequest = z.infer<typeof SvcRequest>;

export const SvcReply = z.discriminatedUnion("ok", [z.object({ ok: z.literal(true), data: z.unknown().optional() }), z.object({ ok: z.literal(false), error: ErrorBody })]);
export type SvcReply = z.infer<typeof SvcReply>;

/** An HTTP request relayed over `rt.http.<service>`; ctx is set only when the gateway verified a token. */
export const HttpRelayRequest = z.object({
  method: z.string(),
  path: z.string(),
  query: z.string(),
  headers: z.record(z.string(), z.string()),
  body: z.string().optional(),
  ctx: SvcContext.optional(),
});
export type HttpRelayRequest = z.infer<typeof HttpRelayRequest>;

export const HttpRelayResponse = z.object({
  status: z.number().int(),
  headers: z.record(z.string(), z.string()),
  body: z.string(),
});
export type HttpRelayResponse = z.infer<typeof HttpRelayResponse>;

/** On `rt.evt.<domain>.<fact>`: at-least-once, consumers dedupe by id. */
export const DomainEvent = z.object({
  id: z.string(),
  tenantId: z.string(),
  ts: z.number(),
  data: z.unknown(),
});
export type DomainEvent<T = unknown> = Omit<z.infer<typeof DomainEvent>, "data"> & { data: T };

export const PresenceSocket = z.object({
  tenantId: z.string(),
  userId: z.string(),
  name: z.string(),
  socketId: z.string(),
  since: z.string(),
  /** One connection of the socket (a recovered socket keeps its id but is a new connection). */
  connId: z.string(),
  /**
   * The chat room the socket has joined, since when; `seq` counts the socket's room changes so
   * every join and leave has its own event id.
   */
  room: z.object({ roomId: z.number(), since: z.string(), seq: z.number().int() }).optional(),
});
export type PresenceSocket = z.infer<typeof PresenceSocket>;

/**
 * `rt.presence.heartbeat.<gatewayId>`: the gateway is alive. `digest` is the XOR of
 * presenceDigest(socket) over its authenticated sockets: presence compares it with its own view and
 * asks for a snapshot when they differ (a lost delta, a presence restart).
 */
export const Heartbeat = z.object({
  gatewayId: z.string(),
  socketCount: z.number().int(),
  userSocketCount: z.number().int(),
  digest: z.number().int(),
  ts: z.number(),
});
export type Heartbeat = z.infer<typeof Heartbeat>;

export const SnapshotRequest = z.object({ offset: z.number().int().nonnegative(), limit: z.number().int().positive().max(5000) });
export const SnapshotPage = z.object({ sockets: z.array(PresenceSocket), total: z.number().int() });
export type SnapshotPage = z.infer<typeof SnapshotPage>;

/** A socket's share of its gateway's digest: its id and, when in a room, which join of which room. */
export function presenceDigest(s: Pick<PresenceSocket, "socketId" | "room">): number {
  return s.room ? socketDigest(s.socketId) ^ socketDigest(`${s.socketId}#${s.room.roomId}#${s.room.seq}`) : socketDigest(s.socketId);
}

/**
 * `rt.gw.<gatewayId>.alive`: is this socket id connected to you? Asked before a session is
 * restored elsewhere; no responders means that gateway is gone.
 */
export const AliveRequest = z.object({ sid: z.string().min(1).max(100) });
export const AliveReply = z.object({ alive: z.boolean() });

/** 32-bit FNV-1a of a socket id; XOR-ed into a gateway's digest. */
export function socketDigest(socketId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < socketId.length; i++) {
    h ^= socketId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/**
 * `rt.presence.delta.<gatewayId>`: one socket came, went or (op `room`) joined or left a chat room
 * (`socket.room` is its room now), sent at once so presence need not wait a beat.
 */
export const PresenceDelta = z.object({
  gatewayId: z.string(),
  op: z.enum(["connect", "disconnect", "room"]),
  socket: PresenceSocket,
  ts: z.number(),
});
export type PresenceDelta = z.infer<typeof PresenceDelta>;

/**
 * `rt.presence.gone.<tenant>`: a user's last socket anywhere closed. Services that hold per-user
 * state (calls: participants) react to it; every presence replica sends it with the same `id`.
 */
export const UserGone = z.object({ id: z.string(), tenantId: z.string(), userId: z.string(), ts: z.number() });
export type UserGone = z.infer<typeof UserGone>;
