import { z } from "zod";
import type { ClientEventName } from "./client-events.ts";
import { AuthenticatedOk } from "./events/auth.ts";
import { PresenceList } from "./events/presence.ts";
import { MemberEvent, Message, MessageDeleted, MessageEdited, RoomRef, TypingEvent } from "./events/chat.ts";
import { Call } from "./events/calls.ts";
import { Job } from "./events/jobs.ts";
import { Notification, NotificationRemoved, ReadAllResult } from "./events/notifications.ts";
import { Pong, SyncSince, SyncSubscribe, UserActivity } from "./events/sync.ts";

/**
 * The ack `data` of each client event (`{ ok: true, data }`): the client SDK types its requests
 * from it and docs/PROTOCOL.md lists it. An event not named here answers
 * `{ ok: true }` without data worth reading.
 */
export const clientAcks = {
  ping: Pong,
  authenticate: AuthenticatedOk,
  "presence:list": PresenceList,
  join_room: MemberEvent,
  leave_room: RoomRef,
  "message:send": Message,
  "message:edit": MessageEdited,
  "message:delete": MessageDeleted,
  "user:typing": TypingEvent,
  "user:stop_typing": TypingEvent,
  "call:initiated": Call,
  "call:answered": Call,
  "call:ended": Call,
  "job:start": Job,
  "job:complete": Job,
  "test:create-job": Job,
  "test:assign-job": Job,
  "notification:read": Notification,
  "notification:read-all": ReadAllResult,
  "notification:delete": NotificationRemoved,
  /** null when the same notification was already stored (idempotent create). */
  "test:notification": Notification.nullable(),
  "join-data-sync": SyncSubscribe,
  "leave-data-sync": SyncSubscribe,
  "sync:since": SyncSince,
  "join-user-room": z.object({ userId: z.string() }),
  "user:activity": UserActivity,
  /** `tenant`: every payment update of the tenant (a role in PAYMENTS_ADMIN_ROLES); `own`: the caller's. */
  "subscribe:payments": z.object({ scope: z.enum(["tenant", "own"]) }),
  "unsubscribe:payments": z.object({}),
} as const satisfies Partial<Record<ClientEventName, z.ZodType>>;

export type ClientAckData<E extends ClientEventName> = E extends keyof typeof clientAcks ? z.output<(typeof clientAcks)[E]> : unknown;
