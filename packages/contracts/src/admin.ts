import { z } from "zod";
import { AppError, describeZodError } from "./errors.ts";

/**
 * The cluster-wide server API (issue 19): every gateway answers for its own sockets on
 * `subjects.gwAdmin(gatewayId, op)`; the caller (server SDK `AdminApi`, the gateway's
 * `/api/admin/*`) asks every gateway seen in the presence heartbeats and merges the answers.
 */
export const AdminOp = z.enum(["list", "disconnect", "leave", "counts", "rooms", "stats"]);
export type AdminOp = z.infer<typeof AdminOp>;

const Id = z.string().min(1).max(128);
/** Chat room ids are numbers on the wire; query strings make them strings. */
const RoomId = z.union([z.string().min(1).max(64), z.number().int()]).transform(String);

export const AdminListInput = z
  .object({
    tenantId: Id.optional(),
    userId: Id.optional(),
    socketId: Id.optional(),
    roomId: RoomId.optional(),
    /** Per gateway; the merged list says `truncated` when a gateway had more. */
    limit: z.coerce.number().int().min(1).max(5000).default(500),
  })
  .refine((i) => i.tenantId !== undefined || (i.userId === undefined && i.roomId === undefined), {
    message: "userId and roomId need tenantId",
    path: ["tenantId"],
  });
export type AdminListInput = z.input<typeof AdminListInput>;

/** One socket as an operator sees it. `rooms` are readable (`room:12`, `role:admin`, `sync:Task`…). */
export const AdminConnection = z.object({
  socketId: z.string(),
  gatewayId: z.string(),
  tenantId: z.string().nullable(),
  userId: z.string().nullable(),
  name: z.string().nullable(),
  transport: z.string(),
  since: z.string(),
  rooms: z.array(z.string()),
});
export type AdminConnection = z.infer<typeof AdminConnection>;

export const AdminListPart = z.object({ connections: z.array(AdminConnection), truncated: z.boolean() });
export type AdminListPart = z.infer<typeof AdminListPart>;

export const AdminDisconnectInput = z
  .object({
    tenantId: Id.optional(),
    userId: Id.optional(),
    socketId: Id.optional(),
    /** What the client receives in its `error` event before the socket closes. */
    reason: z.string().min(1).max(200),
  })
  .refine((i) => i.userId !== undefined || i.socketId !== undefined, { message: "give userId or socketId", path: ["userId"] })
  .refine((i) => i.userId === undefined || i.tenantId !== undefined, { message: "userId needs tenantId", path: ["tenantId"] });
export type AdminDisconnectInput = z.input<typeof AdminDisconnectInput>;

export const AdminLeaveInput = z.object({ tenantId: Id, userId: Id, roomId: RoomId });
export type AdminLeaveInput = z.input<typeof AdminLeaveInput>;

/** Sockets affected by disconnect / leave on one gateway. */
export const AdminAffected = z.object({ count: z.number().int() });

export const AdminCountsInput = z.object({ tenantId: Id.optional() });
export type AdminCountsInput = z.input<typeof AdminCountsInput>;
/** One gateway: all its sockets (anonymous ones too when not scoped to a tenant) and per tenant. */
export const AdminCountsPart = z.object({ sockets: z.number().int(), byTenant: z.record(z.string(), z.number().int()) });

export const AdminRoomsInput = z.object({ tenantId: Id });
export type AdminRoomsInput = z.input<typeof AdminRoomsInput>;
export const AdminRoomsPart = z.object({ rooms: z.array(z.object({ roomId: z.string(), sockets: z.number().int(), users: z.array(z.string()) })) });

/** Platform-wide: this gateway's counters (what its /metrics says), for rates in the console. */
export const AdminStatsPart = z.object({
  sockets: z.number().int(),
  eventsIn: z.number(),
  deliveries: z.number(),
  errors: z.number(),
  rateLimited: z.number(),
  authFailures: z.number(),
  uptimeSeconds: z.number(),
});
export type AdminStatsPart = z.infer<typeof AdminStatsPart>;

/** What the caller sends each gateway: who asks (logged by every gateway) and the op's input. */
export const AdminRequest = z.object({ actor: z.string().min(1).max(300), input: z.unknown() });
export type AdminRequest = z.infer<typeof AdminRequest>;
/** Each gateway answers with a SvcReply: `{ ok: true, data: <op>Part }` or `{ ok: false, error }`. */

/** Every merged answer names the gateways asked that did not answer in time. */
const Merged = { gateways: z.array(z.string()), missing: z.array(z.string()) };

export const AdminListResult = z.object({ connections: z.array(AdminConnection), truncated: z.boolean(), ...Merged });
export type AdminListResult = z.infer<typeof AdminListResult>;
export const AdminAffectedResult = z.object({ count: z.number().int(), byGateway: z.record(z.string(), z.number().int()), ...Merged });
export type AdminAffectedResult = z.infer<typeof AdminAffectedResult>;
export const AdminCountsResult = z.object({
  total: z.number().int(),
  byTenant: z.record(z.string(), z.number().int()),
  byGateway: z.record(z.string(), AdminCountsPart),
  ...Merged,
});
export type AdminCountsResult = z.infer<typeof AdminCountsResult>;
export const AdminRoomsResult = z.object({
  rooms: z.array(z.object({ roomId: z.string(), sockets: z.number().int(), users: z.number().int() })),
  ...Merged,
});
export type AdminRoomsResult = z.infer<typeof AdminRoomsResult>;
export const AdminStatsResult = z.object({ byGateway: z.record(z.string(), AdminStatsPart), ...Merged });
export type AdminStatsResult = z.infer<typeof AdminStatsResult>;

/** A gateway as the heartbeats show it. */
export const AdminGateway = z.object({ gatewayId: z.string(), socketCount: z.number().int(), lastSeenMs: z.number(), healthy: z.boolean() });
export type AdminGateway = z.infer<typeof AdminGateway>;
export const AdminGatewaysResult = z.object({ gateways: z.array(AdminGateway) });

/** `GET /api/admin/tap`: one tenant (and optionally one chat room) of the delivery stream. */
export const AdminTapInput = z.object({ tenantId: Id.optional(), roomId: RoomId.optional() });
export type AdminTapInput = z.input<typeof AdminTapInput>;

/** Who an HTTP admin caller is: platform-wide (ADMIN_API_KEY) or one tenant's (a token with an ADMIN_ROLES role). */
export const AdminWhoAmI = z.object({ actor: z.string(), platform: z.boolean(), tenantId: z.string().nullable() });

/** Parse an admin input; a bad one is a typed VALIDATION error (caller and gateways alike). */
export function parseAdminInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new AppError("VALIDATION", describeZodError(r.error));
  return r.data;
}
