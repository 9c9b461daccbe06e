import { z } from "zod";

/** Services reached over the bus; each owns a queue group of the same name. */
export const ServiceName = z.enum(["presence", "chat", "calls", "jobs", "notifications", "payments", "sync"]);
export type ServiceName = z.infer<typeof ServiceName>;

/** `presence` (id: a PresenceMode) reaches the tenant's sockets that chose that presence mode. */
export const TargetKind = z.enum(["user", "role", "room", "sync", "tenant", "payments", "presence"]);
export type TargetKind = z.infer<typeof TargetKind>;

const SAFE_TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * One subject token from an id. Safe ids stay readable; anything else becomes `~` + base64url
 * so no input can add `.`, `*` or `>` to a subject.
 */
export function subjectToken(id: string): string {
  if (SAFE_TOKEN.test(id)) return id;
  return `~${Buffer.from(id, "utf8").toString("base64url")}`;
}

/** Inverse of subjectToken, for logs and tools. */
export function fromSubjectToken(token: string): string {
  return token.startsWith("~") ? Buffer.from(token.slice(1), "base64url").toString("utf8") : token;
}

/** Every subject on the bus is built here; nobody writes one by hand. */
export const subjects = {
  /** Delivery to sockets; `deliverAll` is the delivery log's subject. Tenant-wide targets use id `_`. */
  deliver: (tenantId: string, kind: TargetKind, id?: string) => `rt.deliver.${subjectToken(tenantId)}.${kind}.${id === undefined ? "_" : subjectToken(id)}`,
  deliverAll: "rt.deliver.>",
  /** Every delivery of one tenant: what a gateway with sockets of the tenant follows, and what a recovering socket may be replayed. */
  deliverTenant: (tenantId: string) => `rt.deliver.${subjectToken(tenantId)}.>`,
  /**
   * Where internal publishers put a PublishEnvelope (NATS path of "Server-side publishing"): a
   * gateway (queue group) stamps id and ts, numbers data-change `seq`, and hands it to rt.deliver.
   * A request here is answered `{ ok, data: { id } }`.
   */
  publish: (tenantId: string, kind: TargetKind, id?: string) => `rt.publish.${subjectToken(tenantId)}.${kind}.${id === undefined ? "_" : subjectToken(id)}`,
  publishAll: "rt.publish.>",
  /** Request/reply to a service action, queue group per service. */
  svc: (service: ServiceName, action: string) => `rt.svc.${service}.${action}`,
  /** HTTP requests relayed by the gateway to a service's Hono app. */
  http: (service: ServiceName) => `rt.http.${service}`,
  /** Domain events on the JetStream stream `evtStream`. */
  evt: (domain: string, fact: string) => `rt.evt.${domain}.${fact}`,
  evtAll: "rt.evt.>",
  /** Where a durable consumer's event goes when it failed until its retention nearly ran out. */
  deadLetter: (durable: string, subject: string) => `rt.dlq.${subjectToken(durable)}.${subject}`,
  deadLetterAll: "rt.dlq.>",
  /** A gateway is alive: its socket count and digest, every HEARTBEAT_MS. */
  heartbeat: (gatewayId: string) => `rt.presence.heartbeat.${subjectToken(gatewayId)}`,
  heartbeatAll: "rt.presence.heartbeat.*",
  /** One socket connected or closed on a gateway; presence replicas all listen. */
  presenceDelta: (gatewayId: string) => `rt.presence.delta.${subjectToken(gatewayId)}`,
  presenceDeltaAll: "rt.presence.delta.*",
  /** A user's last socket in the cluster closed (every presence replica publishes it, same id). */
  userGone: (tenantId: string) => `rt.presence.gone.${subjectToken(tenantId)}`,
  userGoneAll: "rt.presence.gone.*",
  /** Request/reply to one gateway: a page of its sockets, when presence must rebuild its view. */
  gatewaySnapshot: (gatewayId: string) => `rt.gw.${subjectToken(gatewayId)}.snapshot`,
  /** Request/reply to one gateway: is this socket of yours still connected (before its session is restored elsewhere)? */
  gatewayAlive: (gatewayId: string) => `rt.gw.${subjectToken(gatewayId)}.alive`,
  /** Request/reply to one gateway's admin API (list, disconnect…) about its own sockets; see admin.ts. */
  gwAdmin: (gatewayId: string, op: string) => `rt.gwadmin.${subjectToken(gatewayId)}.${subjectToken(op)}`,
} as const;

/**
 * The delivery log: every envelope on rt.deliver.> kept for a little longer than the recovery
 * window, so a client that lost its gateway can be replayed what it missed from any gateway.
 */
export const deliveryLog = { name: "RT_DELIVER", subjects: [subjects.deliverAll], maxAgeMs: 150_000 } as const;

/** JetStream stream holding domain events (at-least-once, deduplicated by message id). */
export const evtStream = { name: "RT_EVT", subjects: [subjects.evtAll] } as const;

/** JetStream stream keeping dead letters (`DeadLetter` payloads) for an operator, 30 days. */
export const deadLetterStream = { name: "RT_DLQ", subjects: [subjects.deadLetterAll], maxAgeMs: 30 * 24 * 3600_000 } as const;

/** The streams every bus of the platform keeps, handed to `createNatsBus` / `createMemoryBus` (the bus knows no subjects). */
export const busStreams = {
  events: evtStream,
  deadLetters: { ...deadLetterStream, subject: subjects.deadLetter },
  log: deliveryLog,
} as const;

/** Presence timing: a gateway silent for GATEWAY_TIMEOUT_MS is dead and its users go offline. */
export const HEARTBEAT_MS = 1000;
export const GATEWAY_TIMEOUT_MS = 3500;
