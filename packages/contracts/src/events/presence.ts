import { z } from "zod";
import { NoPayload, Iso } from "./common.ts";
import { RoomRef } from "./chat.ts";

export const PresenceListInput = NoPayload;
export const PresenceUser = z.object({ userId: z.string(), name: z.string(), since: Iso });
export type PresenceUser = z.infer<typeof PresenceUser>;
export const PresenceList = z.object({ users: z.array(PresenceUser) });
export type PresenceList = z.infer<typeof PresenceList>;

export const UserOnline = z.object({ userId: z.string(), socketId: z.string(), timestamp: Iso });
export type UserOnline = z.infer<typeof UserOnline>;
export const UserOffline = z.object({ userId: z.string(), timestamp: Iso });
export type UserOffline = z.infer<typeof UserOffline>;

/**
 * How a socket hears tenant-wide presence, chosen at the handshake (`auth.presence` or query
 * `?presence=`): `user` (default) one `user:online` / `user:offline` per change, `batch` one
 * `presence:batch` per PRESENCE_BATCH_MS with every user whose presence changed.
 */
export const PresenceMode = z.enum(["user", "batch"]);
export type PresenceMode = z.infer<typeof PresenceMode>;

/**
 * `presence:batch`: the users whose presence changed lately, each listed once with their state when
 * the batch was made (online or offline). A user may appear in two consecutive batches; applying a
 * batch twice changes nothing.
 */
export const PresenceBatch = z.object({ online: z.array(z.string()), offline: z.array(z.string()), timestamp: Iso });
export type PresenceBatch = z.infer<typeof PresenceBatch>;

/** presence `count`: every gateway's sockets, or (scope tenant) the caller's tenant's. */
export const PresenceCountInput = z.object({ scope: z.literal("tenant").optional() }).default({});
export type PresenceCountInput = z.infer<typeof PresenceCountInput>;
export const ConnectedCount = z.object({ connectedClients: z.number().int() });
export type ConnectedCount = z.infer<typeof ConnectedCount>;

/** `room:presence` (room members): who has a socket in the room now, cluster-wide, since they joined it. */
export const RoomPresenceInput = RoomRef;
export const RoomPresence = z.object({ online: z.array(PresenceUser) });
export type RoomPresence = z.infer<typeof RoomPresence>;
/** A user's first socket joined / last socket left a chat room (user-level, not per tab). */
export const RoomUserPresence = z.object({ roomId: z.number(), userId: z.string(), timestamp: Iso });
export type RoomUserPresence = z.infer<typeof RoomUserPresence>;
