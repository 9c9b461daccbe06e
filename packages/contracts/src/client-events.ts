import { z } from "zod";
import { NoPayload } from "./events/common.ts";
import { PresenceListInput, RoomPresenceInput } from "./events/presence.ts";
import { RoomRef, MessageSend, MessageEdit, MessageDelete } from "./events/chat.ts";
import { CallInitiate, CallRef, CallSignalInput } from "./events/calls.ts";
import { JobCreate, JobAssign, JobStart, JobComplete } from "./events/jobs.ts";
import { NotificationRef, NotificationInput } from "./events/notifications.ts";
import { SyncSubscribe, JoinUserRoom, UserActivityInput, SyncSinceInput } from "./events/sync.ts";
import { AuthenticateInput } from "./events/auth.ts";
import type { ServiceName } from "./subjects.ts";

/** Rate-limit bucket an event draws from (docs/PROTOCOL.md#rate-limits: message 10/min, typing 30/min, default 120/min). */
export const RateClass = z.enum(["message", "typing", "default"]);
export type RateClass = z.infer<typeof RateClass>;

/**
 * One client event. `service` set: the gateway forwards it unparsed to `rt.svc.<service>.<event>`
 * (the action has the event's own name) and that service parses `input`; unset: the gateway owns it.
 */
type Def = { input: z.ZodType; rate: RateClass; service?: ServiceName; testOnly?: true; anonymous?: true; perTenant?: true };
type Extra = Omit<Def, "input" | "rate" | "service">;
/** An event the gateway itself answers (rooms, typing, sync, authenticate). */
const edge = <S extends z.ZodType, X extends Extra = Record<never, never>>(input: S, rate: RateClass = "default", extra?: X) => ({ input, rate, ...(extra as X) });
/**
 * An event answered by a service's action of the same name. `perTenant`: the answer depends on the
 * caller's tenant alone (no input, nothing of the user), so a gateway may give calls that arrive
 * while one is on its way the next answer it asks for (docs/PROTOCOL.md#presence).
 */
const to = <N extends ServiceName, S extends z.ZodType, X extends Extra = Record<never, never>>(service: N, input: S, rate: RateClass = "default", extra?: X) => ({
  input,
  rate,
  service,
  ...(extra as X),
});

/** Every event a client may emit: payload schema, rate bucket and, when forwarded, the service. Anything else is refused. */
export const clientEvents = {
  ping: edge(NoPayload, "default", { anonymous: true as const }),
  authenticate: edge(AuthenticateInput, "default", { anonymous: true as const }),

  "presence:list": to("presence", PresenceListInput, "default", { perTenant: true as const }),
  "room:presence": to("presence", RoomPresenceInput),

  join_room: edge(RoomRef),
  leave_room: edge(RoomRef),
  "message:send": to("chat", MessageSend, "message"),
  "message:edit": to("chat", MessageEdit),
  "message:delete": to("chat", MessageDelete),
  "user:typing": edge(RoomRef, "typing"),
  "user:stop_typing": edge(RoomRef, "typing"),

  "call:initiated": to("calls", CallInitiate),
  "call:answered": to("calls", CallRef),
  "call:ended": to("calls", CallRef),
  "call:leave": to("calls", CallRef),
  "call:participants": to("calls", CallRef),
  "call:signal": to("calls", CallSignalInput),

  "job:start": to("jobs", JobStart),
  "job:complete": to("jobs", JobComplete),
  "test:create-job": to("jobs", JobCreate, "default", { testOnly: true as const }),
  "test:assign-job": to("jobs", JobAssign, "default", { testOnly: true as const }),

  "notification:read": to("notifications", NotificationRef),
  "notification:read-all": to("notifications", NoPayload),
  "notification:delete": to("notifications", NotificationRef),
  "test:notification": to("notifications", NotificationInput, "default", { testOnly: true as const }),

  "join-data-sync": edge(SyncSubscribe),
  "leave-data-sync": edge(SyncSubscribe),
  "sync:since": to("sync", SyncSinceInput),
  "join-user-room": edge(JoinUserRoom),
  "user:activity": edge(UserActivityInput),

  "subscribe:payments": edge(NoPayload),
  "unsubscribe:payments": edge(NoPayload),
} as const satisfies Record<string, Def>;

export type ClientEventName = keyof typeof clientEvents;
export type ClientEventInput<E extends ClientEventName> = z.output<(typeof clientEvents)[E]["input"]>;
/** Events a service answers, by service. */
export type ForwardedEventName<S extends ServiceName = ServiceName> = {
  [E in ClientEventName]: (typeof clientEvents)[E] extends { service: S } ? E : never;
}[ClientEventName];
/** Events the gateway answers itself. */
export type EdgeEventName = Exclude<ClientEventName, ForwardedEventName>;

/** Where a forwarded event goes: its service and the action, which is the event's own name. */
export function routeOf(event: ClientEventName): { service: ServiceName; action: string } | undefined {
  const def: Def = clientEvents[event];
  return def.service ? { service: def.service, action: event } : undefined;
}

export function isClientEvent(name: unknown): name is ClientEventName {
  return typeof name === "string" && Object.hasOwn(clientEvents, name);
}
