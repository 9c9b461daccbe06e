import { z } from "zod";
import { ErrorEvent } from "./errors.ts";
import { UserOnline, UserOffline, PresenceBatch, RoomUserPresence } from "./events/presence.ts";
import { Message, MessageEdited, MessageDeleted, MemberEvent, TypingEvent } from "./events/chat.ts";
import { CallInitiated, CallAnswered, CallEnded, CallLeft, CallSignal } from "./events/calls.ts";
import { JobAssigned, JobTransition, JobStatusChanged } from "./events/jobs.ts";
import { Notification, UnreadCountEvent, MarkedRead, NotificationDeleted } from "./events/notifications.ts";
import { ArtisanRequest, ArtisanApproved, ArtisanRejected } from "./events/approvals.ts";
import { DataChange, UserActivity, Pong, SystemNotification } from "./events/sync.ts";
import { PaymentUpdate } from "./events/payments.ts";
import { Authenticated } from "./events/auth.ts";

/** Every event the platform emits to clients, with its payload schema. */
export const serverEvents = {
  error: ErrorEvent,
  authenticated: Authenticated,
  pong: Pong,

  "user:online": UserOnline,
  "user:offline": UserOffline,
  "presence:batch": PresenceBatch,
  "room:user-online": RoomUserPresence,
  "room:user-offline": RoomUserPresence,

  "member:joined": MemberEvent,
  "member:left": MemberEvent,
  "message:new": Message,
  "message:edited": MessageEdited,
  "message:deleted": MessageDeleted,
  "user:typing": TypingEvent,
  "user:stop_typing": TypingEvent,

  "call:initiated": CallInitiated,
  "call:answered": CallAnswered,
  "call:ended": CallEnded,
  "call:left": CallLeft,
  "call:signal": CallSignal,

  "job:assigned": JobAssigned,
  "job:started": JobTransition,
  "job:completed": JobTransition,
  "job:status-changed": JobStatusChanged,

  "notification:new": Notification,
  /** Legacy alias of notification:new (LEGACY_ALIASES). */
  notification: Notification,
  "notification:unread-count": UnreadCountEvent,
  "notification:marked-read": MarkedRead,
  "notification:deleted": NotificationDeleted,

  "artisan-request:new": ArtisanRequest,
  "artisan-request:approved": ArtisanApproved,
  "artisan-request:rejected": ArtisanRejected,

  "data-change": DataChange,
  "user:activity": UserActivity,
  "system-notification": SystemNotification.extend({ timestamp: z.string() }),
  payment_update: PaymentUpdate,
} as const;

export type ServerEventName = keyof typeof serverEvents;
export type ServerEventPayload<E extends ServerEventName> = z.infer<(typeof serverEvents)[E]>;
