import type { ServiceName } from "./subjects.ts";
import { clientEvents, type ClientEventName, type RateClass } from "./client-events.ts";

/**
 * Service actions reached over `rt.svc.<service>.<action>`. The gateway routes client events
 * to these; the services register handlers under the same names.
 */
export const actions = {
  presence: { list: "list", count: "count" },
  chat: {
    authorizeJoin: "room-authorize",
    messageSend: "message-send",
    messageEdit: "message-edit",
    messageDelete: "message-delete",
    isMember: "is-member",
  },
  calls: { initiate: "initiate", answer: "answer", end: "end" },
  jobs: { create: "create", assign: "assign", start: "start", complete: "complete" },
  notifications: {
    unreadCount: "unread-count",
    read: "read",
    readAll: "read-all",
    remove: "delete",
    create: "create",
  },
  payments: {},
} as const satisfies Record<ServiceName, Record<string, string>>;

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
