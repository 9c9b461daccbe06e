import type { z } from "zod";
import { clientEvents, type ClientEventName, type ForwardedEventName, type RateClass } from "./client-events.ts";
import { NoPayload } from "./events/common.ts";
import { IsMemberInput, IsMemberReply, MembershipCheck, RoomRef } from "./events/chat.ts";
import { Notification, NotificationInput, UnreadCount } from "./events/notifications.ts";
import { ConnectedCount, PresenceCountInput } from "./events/presence.ts";
import { SyncStoreInput, SyncStored } from "./events/sync.ts";
import type { ServiceName } from "./subjects.ts";

/**
 * Service actions no client event names: asked by the gateway itself (joining a room, the unread
 * count on connect, the socket count) or by another service. Every other action is a forwarded
 * client event of the same name (`clientEvents`, with its `service`).
 */
export const internalActions = {
  presence: { count: { input: PresenceCountInput, reply: ConnectedCount } },
  chat: {
    "room-authorize": { input: RoomRef, reply: MembershipCheck },
    "is-member": { input: IsMemberInput, reply: IsMemberReply },
  },
  calls: {},
  jobs: {},
  notifications: {
    "unread-count": { input: NoPayload, reply: UnreadCount },
    /** The SDK's sendUserNotification: stored for `ctx.userId`; null when it was already stored. */
    create: { input: NotificationInput, reply: Notification.nullable() },
  },
  payments: {},
  /** The gateway's publish path stores each numbered data-change here before delivering it. */
  sync: { store: { input: SyncStoreInput, reply: SyncStored } },
} as const satisfies Record<ServiceName, Record<string, { input: z.ZodType; reply: z.ZodType }>>;

export type InternalActionName<S extends ServiceName> = keyof (typeof internalActions)[S] & string;
/** Every action of a service: its forwarded client events and its internal actions. */
export type ActionName<S extends ServiceName> = ForwardedEventName<S> | InternalActionName<S>;
/** What an action's handler receives, parsed by the service kit from the contract's schema. */
export type ActionInput<S extends ServiceName, A extends ActionName<S>> = A extends ClientEventName
  ? z.output<(typeof clientEvents)[A]["input"]>
  : A extends InternalActionName<S>
    ? z.output<(typeof internalActions)[S][A] extends { input: infer I extends z.ZodType } ? I : never>
    : never;
/** The reply of an internal action (typed for its callers); a forwarded event's reply goes to the client as is. */
export type ActionReply<S extends ServiceName, A extends ActionName<S>> =
  A extends InternalActionName<S> ? z.output<(typeof internalActions)[S][A] extends { reply: infer R extends z.ZodType } ? R : never> : unknown;

type Schemas = { input: z.ZodType; reply?: z.ZodType };

/** The contract's schemas of one action, or undefined when the service has no such action. */
export function actionSchemas(service: ServiceName, action: string): Schemas | undefined {
  const internal = (internalActions[service] as Record<string, Schemas>)[action];
  if (internal) return internal;
  if (!Object.hasOwn(clientEvents, action)) return undefined;
  const def: { input: z.ZodType; service?: ServiceName } = clientEvents[action as ClientEventName];
  return def.service === service ? { input: def.input } : undefined;
}

/** Every action name of a service, from the contract (docs, AsyncAPI, the kit's completeness check). */
export function actionNames(service: ServiceName): string[] {
  const forwarded = (Object.keys(clientEvents) as ClientEventName[]).filter((e) => (clientEvents[e] as { service?: ServiceName }).service === service);
  return [...forwarded, ...Object.keys(internalActions[service])];
}

/** Which service answers the public HTTP paths the gateway relays (longest prefix wins). */
export const httpRoutes: ReadonlyArray<{ prefix: string; service: ServiceName }> = [
  { prefix: "/api/chat/", service: "chat" },
  { prefix: "/shared/chat/", service: "chat" },
  { prefix: "/api/calls/", service: "calls" },
  { prefix: "/api/jobs", service: "jobs" },
  { prefix: "/api/notifications", service: "notifications" },
  { prefix: "/api/approvals/", service: "notifications" },
  { prefix: "/api/payments/", service: "payments" },
];

/** The service that answers a public path, or undefined. */
export function serviceForPath(path: string): ServiceName | undefined {
  let best: { prefix: string; service: ServiceName } | undefined;
  for (const r of httpRoutes) if (path.startsWith(r.prefix) && (!best || r.prefix.length > best.prefix.length)) best = r;
  return best?.service;
}

/** REST writes that do what a client event does: they draw from that event's rate bucket. */
const restMirrors: ReadonlyArray<{ method: string; path: RegExp; event: ClientEventName }> = [
  { method: "POST", path: /^\/(?:api|shared)\/chat\/rooms\/[^/]+\/messages\/?$/, event: "message:send" },
];

/**
 * The per-user rate bucket a relayed REST request draws from: the mirrored event's class, the
 * default bucket for any other write, none for reads (GET, HEAD, OPTIONS).
 */
export function restRateClass(method: string, path: string): RateClass | undefined {
  const m = method.toUpperCase();
  if (m === "GET" || m === "HEAD" || m === "OPTIONS") return undefined;
  const mirror = restMirrors.find((r) => r.method === m && r.path.test(path));
  return mirror ? clientEvents[mirror.event].rate : "default";
}

/** Domain events on the JetStream stream. */
export const domainEvents = {
  jobAssigned: { domain: "jobs", fact: "assigned" },
  jobStatusChanged: { domain: "jobs", fact: "status-changed" },
} as const;
