import type { z } from "zod";
import type {
  Authenticated,
  AuthenticatedUser,
  ClientEventName,
  clientEvents,
  Call,
  Job,
  MemberEvent,
  Message,
  MessageDeleted,
  MessageEdited,
  Notification,
  NotificationRef,
  Pong,
  PresenceList,
  RoomRef,
  ServerEventName,
  ServerEventPayload,
  SyncSubscribe,
  TypingEvent,
  UserActivity,
} from "@rt/contracts";

/**
 * Type-only view of packages/contracts for the client. Nothing here is a runtime import, so the
 * browser bundle carries no zod: payload shapes come from the schemas, the server validates.
 */

export type { ClientEventName, ServerEventName, ServerEventPayload };

/** What a client may send for an event: the schema's input side (numeric strings for ids, defaults optional). */
export type ClientInput<E extends ClientEventName> = z.input<(typeof clientEvents)[E]["input"]>;

/** Events whose payload may be left out (the schema accepts `undefined`). */
type OptionalInput<E extends ClientEventName> = undefined extends ClientInput<E> ? true : false;

export type EmitArgs<E extends ClientEventName> = OptionalInput<E> extends true ? [input?: ClientInput<E>] : [input: ClientInput<E>];

export interface RequestOptions {
  /** Milliseconds to wait for the ack before rejecting with UNAVAILABLE (default: the client's requestTimeoutMs). */
  timeoutMs?: number;
}

export type RequestArgs<E extends ClientEventName> = OptionalInput<E> extends true
  ? [input?: ClientInput<E>, options?: RequestOptions]
  : [input: ClientInput<E>, options?: RequestOptions];

export type AuthenticatedUser = z.infer<typeof AuthenticatedUser>;
type AuthenticatedOk = Extract<z.infer<typeof Authenticated>, { success: true }>;

/**
 * The ack `data` of each client event, from the contract types the gateway and services answer
 * with. Events whose ack the contract does not describe are `unknown`.
 */
export interface AckDataMap {
  ping: z.infer<typeof Pong>;
  authenticate: AuthenticatedOk;
  "presence:list": z.infer<typeof PresenceList>;
  join_room: z.infer<typeof MemberEvent>;
  leave_room: z.output<typeof RoomRef>;
  "message:send": z.infer<typeof Message>;
  "message:edit": z.infer<typeof MessageEdited>;
  "message:delete": z.infer<typeof MessageDeleted>;
  "user:typing": z.infer<typeof TypingEvent>;
  "user:stop_typing": z.infer<typeof TypingEvent>;
  "call:initiated": z.infer<typeof Call>;
  "call:answered": z.infer<typeof Call>;
  "call:ended": z.infer<typeof Call>;
  "job:start": z.infer<typeof Job>;
  "job:complete": z.infer<typeof Job>;
  "test:create-job": z.infer<typeof Job>;
  "test:assign-job": z.infer<typeof Job>;
  "notification:read": z.infer<typeof Notification>;
  "notification:delete": z.output<typeof NotificationRef>;
  /** null when the same notification was already stored (idempotent create). */
  "test:notification": z.infer<typeof Notification> | null;
  "join-data-sync": z.output<typeof SyncSubscribe>;
  "leave-data-sync": z.output<typeof SyncSubscribe>;
  "user:activity": z.infer<typeof UserActivity>;
}

export type AckData<E extends ClientEventName> = E extends keyof AckDataMap ? AckDataMap[E] : unknown;

export type ServerHandler<E extends ServerEventName> = (payload: ServerEventPayload<E>) => void;

