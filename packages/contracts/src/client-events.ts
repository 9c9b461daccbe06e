import { z } from "zod";
import { NoPayload } from "./events/common.ts";
import { PresenceListInput } from "./events/presence.ts";
import { RoomRef, MessageSend, MessageEdit, MessageDelete } from "./events/chat.ts";
import { CallInitiate, CallRef } from "./events/calls.ts";
import { JobCreate, JobAssign, JobStart, JobComplete } from "./events/jobs.ts";
import { NotificationRef, NotificationInput } from "./events/notifications.ts";
import { SyncSubscribe, JoinUserRoom, UserActivityInput } from "./events/sync.ts";
import { AuthenticateInput } from "./events/auth.ts";

/** Rate-limit bucket an event draws from (docs/PROTOCOL.md#rate-limits: message 10/min, typing 30/min, default 120/min). */
export const RateClass = z.enum(["message", "typing", "default"]);
export type RateClass = z.infer<typeof RateClass>;

type Def = { input: z.ZodType; rate: RateClass; testOnly?: true; anonymous?: true };
const def = <S extends z.ZodType>(input: S, rate: RateClass = "default", extra: Omit<Def, "input" | "rate"> = {}) => ({
  input,
  rate,
  ...extra,
});

/** Every event a client may emit, with its payload schema. Anything else is refused. */
export const clientEvents = {
  ping: def(NoPayload, "default", { anonymous: true }),
  authenticate: def(AuthenticateInput, "default", { anonymous: true }),

  "presence:list": def(PresenceListInput),

  join_room: def(RoomRef),
  leave_room: def(RoomRef),
  "message:send": def(MessageSend, "message"),
  "message:edit": def(MessageEdit),
  "message:delete": def(MessageDelete),
  "user:typing": def(RoomRef, "typing"),
  "user:stop_typing": def(RoomRef, "typing"),

  "call:initiated": def(CallInitiate),
  "call:answered": def(CallRef),
  "call:ended": def(CallRef),

  "job:start": def(JobStart),
  "job:complete": def(JobComplete),
  "test:create-job": def(JobCreate, "default", { testOnly: true }),
  "test:assign-job": def(JobAssign, "default", { testOnly: true }),

  "notification:read": def(NotificationRef),
  "notification:read-all": def(NoPayload),
  "notification:delete": def(NotificationRef),
  "test:notification": def(NotificationInput, "default", { testOnly: true }),

  "join-data-sync": def(SyncSubscribe),
  "leave-data-sync": def(SyncSubscribe),
  "join-user-room": def(JoinUserRoom),
  "user:activity": def(UserActivityInput),

  "subscribe:payments": def(NoPayload),
  "unsubscribe:payments": def(NoPayload),
} as const satisfies Record<string, Def>;

export type ClientEventName = keyof typeof clientEvents;
export type ClientEventInput<E extends ClientEventName> = z.output<(typeof clientEvents)[E]["input"]>;

export function isClientEvent(name: unknown): name is ClientEventName {
  return typeof name === "string" && Object.hasOwn(clientEvents, name);
}
