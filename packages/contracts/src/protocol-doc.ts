import type { z } from "zod";
import { buildAsyncApi, schemaOf, type AsyncApiDocument } from "./asyncapi.ts";
import { clientAcks } from "./acks.ts";
import { clientEvents } from "./client-events.ts";
import { serverEvents } from "./server-events.ts";
import { ErrorCode, httpStatusOf } from "./errors.ts";
import { RESERVED_EVENTS } from "./envelope.ts";
import { httpRoutes } from "./actions.ts";
import { SERVICE_OPENAPI_PATH } from "./http.ts";
import { TargetKind, subjects } from "./subjects.ts";
import { cell, schemaMarkdown, type JsonSchema } from "./schema-markdown.ts";

/**
 * docs/PROTOCOL.md: the hand-written prose of docs/PROTOCOL.template.md with each
 * `<!-- generated: name -->` line replaced by a reference section built from the contracts (the
 * same walk as the AsyncAPI document, so the two never disagree).
 */

/** What each error code means to a caller; a new code fails typecheck until it is described. */
const ERROR_MEANINGS: Record<ErrorCode, string> = {
  UNAUTHENTICATED: "no valid token: missing, bad, expired, or an anonymous socket calling anything but `ping` / `authenticate`",
  FORBIDDEN: "authenticated, but not allowed (not a member of the room, not the sender, not a `pdg` user…)",
  NOT_FOUND:
    "no such thing in the caller's tenant (another tenant's ids and other users' notifications answer this too), an unknown route, or a `test:*` event while `TEST_EVENTS` is off",
  VALIDATION: "the payload does not match the contract, is over 64 KiB, nested deeper than 64 levels, holds a NUL character, or the event is unknown",
  RATE_LIMITED: "the caller's bucket for this event is empty; nothing was done",
  CONFLICT: "the change contradicts the current state (an illegal job transition, an approval decided twice)",
  UNAVAILABLE: "the service that answers it is not reachable now (no replica, timeout); safe to retry",
  INTERNAL: "an unexpected failure; the message says nothing more",
};

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to `-`. */
export const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");

const clientHeading = (name: string) => `client \`${name}\``;
const serverHeading = (name: string) => `server \`${name}\``;
const link = (heading: string, text: string) => `[${text}](#${slug(heading)})`;

/** The routing and limits of a client event, read loosely so the contract may grow fields. */
interface ClientDef {
  rate?: string;
  bucket?: string;
  service?: string;
  action?: string;
  route?: { service?: string; action?: string };
  anonymous?: boolean;
  testOnly?: boolean;
  perTenant?: boolean;
}
const defOf = (name: string): ClientDef => {
  const d = (clientEvents as unknown as Record<string, ClientDef>)[name]!;
  const service = d.service ?? d.route?.service;
  // A forwarded event without an action of its own is answered by the action of its own name.
  return { ...d, service, action: d.action ?? d.route?.action ?? (service ? name : undefined) };
};
const rateOf = (d: ClientDef) => d.rate ?? d.bucket ?? "default";

/** Payload schema of each event message in the AsyncAPI document, by event name. */
function payloads(doc: AsyncApiDocument, prefix: "client." | "server."): Map<string, JsonSchema> {
  const out = new Map<string, JsonSchema>();
  for (const [key, m] of Object.entries(doc.components.messages) as Array<[string, { name: string; payload: { $ref: string } }]>) {
    if (!key.startsWith(prefix)) continue;
    out.set(m.name, resolve(doc, m.payload.$ref));
  }
  return out;
}
function resolve(doc: AsyncApiDocument, ref: string): JsonSchema {
  const key = ref.replace("#/components/schemas/", "");
  return doc.components.schemas[key] as JsonSchema;
}

function errorCodes(): string {
  return ["| code | HTTP status | meaning |", "|---|---|---|", ...ErrorCode.options.map((c) => `| \`${c}\` | ${httpStatusOf[c]} | ${cell(ERROR_MEANINGS[c])} |`), ""].join("\n");
}

function clientEventsSection(doc: AsyncApiDocument): string {
  const inputs = payloads(doc, "client.");
  const acks = clientAcks as unknown as Record<string, z.ZodType>;
  const names = Object.keys(clientEvents);
  // Once the contract names the service of each forwarded event, the table shows where it goes.
  const routed = names.some((n) => defOf(n).service);
  const routeOf = (d: ClientDef) => (d.service && d.action ? `\`${subjects.svc(d.service as never, d.action)}\`` : "the gateway");
  const notes = (d: ClientDef) =>
    [d.anonymous ? "allowed before authentication" : "", d.testOnly ? "only with `TEST_EVENTS`" : "", d.perTenant ? "calls that arrive together share one answer" : ""]
      .filter(Boolean)
      .join("; ");
  const summary = [
    `| event | rate bucket |${routed ? " answered by |" : ""} ack data | notes |`,
    `|---|---|${routed ? "---|" : ""}---|---|`,
    ...names.map((name) => {
      const d = defOf(name);
      return `| ${link(clientHeading(name), `\`${name}\``)} | \`${rateOf(d)}\` |${routed ? ` ${routeOf(d)} |` : ""} ${acks[name] ? "yes" : "—"} | ${notes(d)} |`;
    }),
  ].join("\n");
  const details = names.map((name) => {
    const ack = acks[name];
    const input = inputs.get(name) ?? {};
    const d = defOf(name);
    const facts = [`Rate bucket \`${rateOf(d)}\``, routed ? `answered by ${routeOf(d)}` : "", notes(d)].filter(Boolean).join("; ");
    return [
      `### ${clientHeading(name)}`,
      "",
      `${facts}.`,
      "",
      "Payload:",
      "",
      Object.keys(input).length === 0 ? "none (whatever is sent is ignored)\n" : schemaMarkdown(input),
      "Ack data:",
      "",
      ack ? schemaMarkdown(schemaOf(ack, "output") as JsonSchema) : "none: `{ ok: true }`\n",
    ].join("\n");
  });
  return `${summary}\n\n${details.join("\n")}`;
}

function serverEventsSection(doc: AsyncApiDocument): string {
  const out = payloads(doc, "server.");
  const fields = (s: JsonSchema) =>
    s.properties
      ? Object.keys(s.properties as object)
          .map((k) => `\`${k}\``)
          .join(", ")
      : "see below";
  const summary = [
    "| event | fields |",
    "|---|---|",
    ...Object.keys(serverEvents).map((name) => `| ${link(serverHeading(name), `\`${name}\``)} | ${fields(out.get(name) ?? {})} |`),
  ].join("\n");
  const details = Object.keys(serverEvents).map((name) => [`### ${serverHeading(name)}`, "", schemaMarkdown(out.get(name) ?? {})].join("\n"));
  return `${summary}\n\n${details.join("\n")}`;
}

interface Channel {
  address: string;
  description?: string;
  parameters?: Record<string, { description: string; enum?: string[] }>;
  messages: Record<string, { $ref: string }>;
}
interface Operation {
  action: "send" | "receive";
  summary?: string;
  reply?: unknown;
}

function natsSection(doc: AsyncApiDocument): string {
  const channels = Object.entries(doc.channels as unknown as Record<string, Channel>).filter(([id]) => id !== "socket");
  const ops = doc.operations as Record<string, Operation>;
  const messageOf = (ref: string) => doc.components.messages[ref.replace("#/components/messages/", "")] as { name: string; title: string; payload: { $ref: string } };
  /** Heading of each envelope section -> its schema; a domain event's heading names its subject too. */
  const envelopes = new Map<string, JsonSchema>();
  const payloadLinks = (c: Channel) =>
    Object.values(c.messages)
      .map((m) => {
        const msg = messageOf(m.$ref);
        const heading = msg.title === msg.name ? `\`${msg.name}\`` : `\`${msg.name}\` ${msg.title}`;
        envelopes.set(heading, resolve(doc, msg.payload.$ref));
        return link(heading, `\`${msg.name}\``);
      })
      .join(" → ");
  const kind = (id: string) => (ops[id]?.reply ? "request/reply" : "publish");

  const svc = channels.filter(([id]) => id.startsWith("svc."));
  const http = channels.filter(([id]) => id.startsWith("http."));
  const rest = channels.filter(([id]) => !id.startsWith("svc.") && !id.startsWith("http."));

  const events = new Map<string, string[]>();
  for (const name of Object.keys(clientEvents)) {
    const d = defOf(name);
    if (d.service && d.action) events.set(subjects.svc(d.service as never, d.action), [...(events.get(subjects.svc(d.service as never, d.action)) ?? []), name]);
  }

  const general = [
    "| subject | kind | payload | what |",
    "|---|---|---|---|",
    ...rest.map(([id, c]) => `| \`${c.address}\` | ${kind(id)} | ${payloadLinks(c)} | ${cell([ops[id]?.summary, c.description].filter(Boolean).join(". "))} |`),
  ].join("\n");
  const params = new Map<string, string>();
  for (const [, c] of rest) for (const [p, d] of Object.entries(c.parameters ?? {})) params.set(p, d.description + (d.enum ? `: ${d.enum.map((e) => `\`${e}\``).join(", ")}` : ""));
  const paramList = [...params].map(([p, d]) => `- \`{${p}}\`: ${d}`).join("\n");

  const svcTable = [
    "| subject | request → reply | client events |",
    "|---|---|---|",
    ...svc.map(([, c]) => `| \`${c.address}\` | ${payloadLinks(c)} | ${(events.get(c.address) ?? []).map((e) => link(clientHeading(e), `\`${e}\``)).join(", ")} |`),
  ].join("\n");
  const httpTable = [
    "| subject | request → reply | what |",
    "|---|---|---|",
    ...http.map(([, c]) => `| \`${c.address}\` | ${payloadLinks(c)} | ${cell(c.description ?? "")} |`),
  ].join("\n");

  const envelopeText = [...envelopes].map(([heading, schema]) => [`### ${heading}`, "", schemaMarkdown(schema)].join("\n")).join("\n");

  return [
    general,
    "",
    "Subject parameters:",
    "",
    paramList,
    "",
    "### Service actions",
    "",
    "Request/reply, one queue group per service (named after it); the request is `{ ctx, data }`, the reply an ack.",
    "",
    svcTable,
    "",
    "### HTTP relay",
    "",
    httpTable,
    "",
    "## Envelopes",
    "",
    envelopeText,
  ].join("\n");
}

function httpRelaySection(): string {
  return [
    `Public HTTP paths the gateway relays over \`rt.http.<service>\` (longest prefix wins). Each service also answers \`GET ${SERVICE_OPENAPI_PATH}\` on its relay; the gateway merges them into its \`GET /openapi.json\`, the full REST reference with request and response schemas.`,
    "",
    "| path prefix | service |",
    "|---|---|",
    ...httpRoutes.map((r) => `| \`${r.prefix}\` | ${r.service} |`),
    "",
  ].join("\n");
}

const simpleList = (xs: readonly string[]) => `${xs.map((x) => `\`${x}\``).join(", ")}\n`;

/** Every generated section, by the name its `<!-- generated: name -->` line uses. */
export function protocolSections(doc: AsyncApiDocument = buildAsyncApi()): Record<string, string> {
  return {
    "error-codes": errorCodes(),
    "client-events": clientEventsSection(doc),
    "server-events": serverEventsSection(doc),
    "nats-subjects": natsSection(doc),
    "http-relay": httpRelaySection(),
    "reserved-events": simpleList(RESERVED_EVENTS),
    "target-kinds": simpleList(TargetKind.options),
  };
}

const DIRECTIVE = /^<!-- generated: ([a-z-]+) -->$/gm;

/** The template with every directive replaced; an unknown or unused section is an error. */
export function buildProtocolReference(template: string, sections: Record<string, string> = protocolSections()): string {
  const used = new Set<string>();
  const body = template.replace(DIRECTIVE, (_all, name: string) => {
    const s = sections[name];
    if (s === undefined) throw new Error(`PROTOCOL template: unknown section "${name}"`);
    used.add(name);
    return s.trimEnd();
  });
  const unused = Object.keys(sections).filter((n) => !used.has(n));
  if (unused.length) throw new Error(`PROTOCOL template: sections not placed: ${unused.join(", ")}`);
  return `${body.trimEnd()}\n`;
}
