import { z } from "zod";
import { actionNames, domainEvents, httpRoutes } from "./actions.ts";
import { clientEvents } from "./client-events.ts";
import { serverEvents } from "./server-events.ts";
import { Ack, ErrorCode } from "./errors.ts";
import {
  DeadLetter,
  DeliveryEnvelope,
  DomainEvent,
  Heartbeat,
  HttpRelayRequest,
  HttpRelayResponse,
  PresenceDelta,
  PublishEnvelope,
  SnapshotPage,
  SnapshotRequest,
  AliveRequest,
  AliveReply,
  SvcReply,
  SvcRequest,
  UserGone,
} from "./envelope.ts";
import { AdminOp, AdminRequest } from "./admin.ts";
import { JobAssignedEvent } from "./events/jobs.ts";
import { SERVICE_OPENAPI_PATH } from "./http.ts";
import { ServiceName, TargetKind, subjects } from "./subjects.ts";

/** The subset of AsyncAPI 3.0 this generator writes. */
export interface AsyncApiDocument {
  asyncapi: "3.0.0";
  info: { title: string; version: string; description: string };
  defaultContentType: string;
  servers: Record<string, unknown>;
  channels: Record<string, AsyncChannel>;
  operations: Record<string, unknown>;
  components: { schemas: Record<string, unknown>; messages: Record<string, unknown> };
}
interface AsyncChannel {
  address: string;
  title?: string;
  description?: string;
  servers: Array<{ $ref: string }>;
  parameters?: Record<string, { description: string; enum?: string[] }>;
  messages: Record<string, { $ref: string }>;
}

type Io = "input" | "output";
/** JSON Schema (draft 7, what AsyncAPI schemas extend) of a zod schema; `input` for what a caller may send. */
export function schemaOf(schema: z.ZodType, io: Io = "output"): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, target: "draft-7", unrepresentable: "any" });
  return rest;
}

/** Component keys allow `[A-Za-z0-9._-]`; event names keep their real spelling in `name`. */
const keyOf = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, "_");

/**
 * A subject pattern written by the contract's own builder: placeholders go through `subjects.*`
 * (they are safe tokens, so they come out as written) and then become `{param}`.
 */
function address(build: (p: (name: string) => string) => string): string {
  return build((name) => `__${name}__`).replace(/__([A-Za-z]+)__/g, "{$1}");
}

const params = {
  tenant: { description: "tenant id as a subject token (as is when it matches ^[A-Za-z0-9_-]{1,64}$, else `~` + base64url)" },
  kind: { description: "delivery target kind", enum: [...TargetKind.options] },
  id: { description: "target id as a subject token; `_` for tenant-wide kinds (tenant, payments)" },
  gatewayId: { description: "the gateway's id (GATEWAY_ID) as a subject token" },
};

/**
 * The AsyncAPI 3.0 document of the platform: every Socket.IO event a client may emit (with its
 * ack as the reply) or receive, and every NATS subject of the internal contract with its envelope.
 * Pure: built from `packages/contracts` alone, so `bun run docs` and the gateway agree.
 */
export function buildAsyncApi(): AsyncApiDocument {
  const schemas: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const channels: Record<string, AsyncChannel> = {};
  const operations: Record<string, unknown> = {};

  /** One named schema + message in components; returns the message key. */
  const message = (key: string, def: { name: string; title?: string; summary?: string; schema: z.ZodType; io?: Io }) => {
    schemas[key] = schemaOf(def.schema, def.io);
    messages[key] = {
      name: def.name,
      title: def.title ?? def.name,
      ...(def.summary ? { summary: def.summary } : {}),
      payload: { $ref: `#/components/schemas/${key}` },
    };
    return key;
  };
  const channelRef = (ch: string) => ({ $ref: `#/channels/${ch}` });
  const msgRef = (ch: string, key: string) => ({ $ref: `#/channels/${ch}/messages/${key}` });
  const channel = (id: string, c: Omit<AsyncChannel, "messages">, messageKeys: string[]) => {
    channels[id] = { ...c, messages: Object.fromEntries(messageKeys.map((k) => [k, { $ref: `#/components/messages/${k}` }])) };
  };
  const nats = [{ $ref: "#/servers/nats" }];

  // --- Socket.IO: one channel, every event a message of it. ---
  const socket = "socket";
  const ackKey = message("ack", {
    name: "ack",
    title: "Ack",
    summary: "Reply of every client event: { ok: true, data? } or { ok: false, error: { code, message } }",
    schema: Ack,
  });
  const clientKeys: Array<[string, string, (typeof clientEvents)[keyof typeof clientEvents]]> = Object.entries(clientEvents).map(([name, def]) => [
    name,
    message(`client.${keyOf(name)}`, { name, schema: def.input, io: "input" }),
    def,
  ]);
  const serverKeys = Object.entries(serverEvents).map(([name, schema]) => [name, message(`server.${keyOf(name)}`, { name, schema })] as const);
  channel(
    socket,
    {
      address: "/socket.io/",
      title: "Socket.IO",
      description:
        "Socket.IO v4 on the gateway (also at /api/socket). Auth: JWT in handshake auth.token, `Authorization: Bearer`, or `?token=`. " +
        "Every client event takes an optional ack callback; without one a failure is emitted as `error`. Error codes: " +
        ErrorCode.options.join(", ") +
        ".",
      servers: [{ $ref: "#/servers/gateway" }],
    },
    [ackKey, ...clientKeys.map(([, k]) => k), ...serverKeys.map(([, k]) => k)],
  );
  for (const [name, key, def] of clientKeys) {
    const notes = [`rate class: ${def.rate}`, "anonymous" in def ? "allowed before authentication" : "", "testOnly" in def ? "only when TEST_EVENTS" : ""];
    operations[key] = {
      action: "receive",
      title: name,
      summary: `Client emits \`${name}\` (${notes.filter(Boolean).join("; ")})`,
      channel: channelRef(socket),
      messages: [msgRef(socket, key)],
      reply: { channel: channelRef(socket), messages: [msgRef(socket, ackKey)] },
    };
  }
  for (const [name, key] of serverKeys) {
    operations[key] = { action: "send", title: name, summary: `Server emits \`${name}\``, channel: channelRef(socket), messages: [msgRef(socket, key)] };
  }

  // --- NATS: the internal contract. ---
  const natsOp = (id: string, action: "send" | "receive", summary: string, key: string, reply?: string) => {
    operations[id] = {
      action,
      summary,
      channel: channelRef(id),
      messages: [msgRef(id, key)],
      ...(reply ? { reply: { channel: channelRef(id), messages: [msgRef(id, reply)] } } : {}),
    };
  };

  const deliveryKey = message("nats.DeliveryEnvelope", { name: "DeliveryEnvelope", schema: DeliveryEnvelope });
  channel(
    "deliver",
    {
      address: address((p) => subjects.deliver(p("tenant"), p("kind") as TargetKind, p("id"))),
      servers: nats,
      parameters: { tenant: params.tenant, kind: params.kind, id: params.id },
    },
    [deliveryKey],
  );
  natsOp(
    "deliver",
    "send",
    "Services publish a delivery; every gateway with sockets of the tenant (it follows `rt.deliver.{tenant}.>` while it has) emits it to its local sockets of the target, once per envelope id",
    deliveryKey,
  );

  const publishKey = message("nats.PublishEnvelope", { name: "PublishEnvelope", schema: PublishEnvelope, io: "input" });
  const publishReplyKey = message("nats.PublishReply", { name: "PublishReply", schema: SvcReply, summary: "{ ok: true, data: { id } } or { ok: false, error }" });
  channel(
    "publish",
    {
      address: address((p) => subjects.publish(p("tenant"), p("kind") as TargetKind, p("id"))),
      servers: nats,
      parameters: { tenant: params.tenant, kind: params.kind, id: params.id },
    },
    [publishKey, publishReplyKey],
  );
  natsOp("publish", "receive", "Internal publishers request a delivery; a gateway (queue group rt-publish) stamps id, ts and data-change seq", publishKey, publishReplyKey);

  const svcReqKey = message("nats.SvcRequest", { name: "SvcRequest", schema: SvcRequest, summary: "{ ctx, data }: the verified caller and the event payload" });
  const svcReplyKey = message("nats.SvcReply", { name: "SvcReply", schema: SvcReply });
  for (const service of ServiceName.options) {
    for (const action of actionNames(service)) {
      // Ids are component keys: no `:` there; the address keeps the action's name.
      const id = `svc.${service}.${action.replaceAll(":", "_")}`;
      channel(id, { address: subjects.svc(service, action), servers: nats, description: `Request/reply, queue group \`${service}\`` }, [svcReqKey, svcReplyKey]);
      natsOp(id, "receive", `${service} service action \`${action}\``, svcReqKey, svcReplyKey);
    }
  }

  const httpReqKey = message("nats.HttpRelayRequest", { name: "HttpRelayRequest", schema: HttpRelayRequest });
  const httpResKey = message("nats.HttpRelayResponse", { name: "HttpRelayResponse", schema: HttpRelayResponse });
  for (const service of ServiceName.options) {
    if (!httpRoutes.some((r) => r.service === service)) continue; // no public HTTP routes (presence, sync)
    const id = `http.${service}`;
    channel(
      id,
      {
        address: subjects.http(service),
        servers: nats,
        description: `HTTP requests the gateway relays to ${service}; queue group \`${service}\`; GET ${SERVICE_OPENAPI_PATH} answers its OpenAPI document`,
      },
      [httpReqKey, httpResKey],
    );
    natsOp(id, "receive", `Relayed HTTP request to ${service}`, httpReqKey, httpResKey);
  }

  /** Domain events whose `data` the contract names; the others carry their domain's payload as-is. */
  const domainData: Partial<Record<keyof typeof domainEvents, z.ZodType>> = { jobAssigned: JobAssignedEvent };
  for (const [k, { domain, fact }] of Object.entries(domainEvents) as Array<[keyof typeof domainEvents, { domain: string; fact: string }]>) {
    const id = `evt.${domain}.${fact}`;
    const data = domainData[k];
    const key = message(`nats.DomainEvent.${domain}.${fact}`, {
      name: "DomainEvent",
      title: `${domain}.${fact}`,
      schema: data ? DomainEvent.extend({ data }) : DomainEvent,
    });
    channel(id, { address: subjects.evt(domain, fact), servers: nats, description: "JetStream stream RT_EVT: at-least-once, deduplicated by id" }, [key]);
    natsOp(id, "send", `Domain event ${domain}.${fact}`, key);
  }

  const deadKey = message("nats.DeadLetter", { name: "DeadLetter", schema: DeadLetter });
  channel(
    "dead-letter",
    {
      address: subjects.deadLetterAll,
      servers: nats,
      description: "`rt.dlq.<durable>.<event subject>`, JetStream stream RT_DLQ (30 days): a domain event its consumer failed on until its retention nearly ran out",
    },
    [deadKey],
  );
  natsOp("dead-letter", "send", "A consumer gave up on a domain event before JetStream would delete it", deadKey);

  const hbKey = message("nats.Heartbeat", { name: "Heartbeat", schema: Heartbeat });
  channel("presence.heartbeat", { address: address((p) => subjects.heartbeat(p("gatewayId"))), servers: nats, parameters: { gatewayId: params.gatewayId } }, [hbKey]);
  natsOp("presence.heartbeat", "send", "Each gateway, every second: socket count and digest", hbKey);

  const deltaKey = message("nats.PresenceDelta", { name: "PresenceDelta", schema: PresenceDelta });
  channel("presence.delta", { address: address((p) => subjects.presenceDelta(p("gatewayId"))), servers: nats, parameters: { gatewayId: params.gatewayId } }, [deltaKey]);
  natsOp("presence.delta", "send", "A socket connected to or left a gateway", deltaKey);

  const goneKey = message("nats.UserGone", { name: "UserGone", schema: UserGone });
  channel("presence.gone", { address: address((p) => subjects.userGone(p("tenant"))), servers: nats, parameters: { tenant: params.tenant } }, [goneKey]);
  natsOp("presence.gone", "send", "Presence: a user's last socket in the cluster closed (calls: the user leaves their calls)", goneKey);

  const snapReqKey = message("nats.SnapshotRequest", { name: "SnapshotRequest", schema: SnapshotRequest });
  const snapPageKey = message("nats.SnapshotPage", { name: "SnapshotPage", schema: SnapshotPage });
  channel("gateway.snapshot", { address: address((p) => subjects.gatewaySnapshot(p("gatewayId"))), servers: nats, parameters: { gatewayId: params.gatewayId } }, [
    snapReqKey,
    snapPageKey,
  ]);
  natsOp("gateway.snapshot", "receive", "Presence asks one gateway for a page of its sockets", snapReqKey, snapPageKey);

  const aliveReqKey = message("nats.AliveRequest", { name: "AliveRequest", schema: AliveRequest });
  const aliveReplyKey = message("nats.AliveReply", { name: "AliveReply", schema: AliveReply });
  channel("gateway.alive", { address: address((p) => subjects.gatewayAlive(p("gatewayId"))), servers: nats, parameters: { gatewayId: params.gatewayId } }, [
    aliveReqKey,
    aliveReplyKey,
  ]);
  natsOp("gateway.alive", "receive", "A gateway restoring a session asks the session's gateway whether its socket is still connected", aliveReqKey, aliveReplyKey);

  const adminReqKey = message("nats.AdminRequest", { name: "AdminRequest", schema: AdminRequest });
  const adminOp = { description: "admin operation; the input and the reply's data are the Admin*Input / Admin*Part schemas", enum: [...AdminOp.options] };
  channel("gateway.admin", { address: address((p) => subjects.gwAdmin(p("gatewayId"), p("op"))), servers: nats, parameters: { gatewayId: params.gatewayId, op: adminOp } }, [
    adminReqKey,
    svcReplyKey,
  ]);
  natsOp("gateway.admin", "receive", "The cluster-wide server API: one gateway answers for its own sockets (the caller asks every gateway and merges)", adminReqKey, svcReplyKey);

  return {
    asyncapi: "3.0.0",
    info: {
      title: "Realtime platform",
      version: "1.0.0",
      description: "Socket.IO events of the gateway and the NATS subjects between gateways, services and internal publishers. Generated from packages/contracts.",
    },
    defaultContentType: "application/json",
    servers: {
      gateway: { host: "localhost:3000", protocol: "ws", pathname: "/socket.io/", description: "Socket.IO (websocket or polling) on the gateway" },
      nats: { host: "localhost:4222", protocol: "nats", description: "The platform's NATS (NATS_URL), JetStream enabled" },
    },
    channels,
    operations,
    components: { schemas, messages },
  };
}
