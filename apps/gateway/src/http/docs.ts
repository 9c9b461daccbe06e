import type { Hono } from "hono";
import { HttpRelayResponse, SERVICE_OPENAPI_PATH, httpRoutes, subjects, type ServiceName } from "@rt/contracts";
import { buildAsyncApi } from "@rt/contracts/asyncapi";
import { openApiOf } from "@rt/service-kit";
import type { Gateway } from "../types.ts";

/** A service that does not answer within this is listed as missing rather than holding the page. */
const SPEC_TIMEOUT_MS = 2000;

type Media = { content?: Record<string, { schema?: unknown }> };
type Operation = {
  summary?: string;
  tags?: string[];
  security?: Array<Record<string, unknown>>;
  parameters?: Array<{ in: string; name: string; required?: boolean }>;
  requestBody?: Media;
  responses?: Record<string, Media & { description?: string }>;
};
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  tags?: Array<{ name: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown>; parameters?: Record<string, unknown> };
  "x-missing-services"?: string[];
}

/** Services that own public routes, in the order the relay table names them. */
const httpServices = (): ServiceName[] => [...new Set(httpRoutes.map((r) => r.service))];

/** A running service's OpenAPI document, asked over its HTTP relay subject. */
async function serviceSpec(gw: Gateway, service: ServiceName): Promise<OpenApiDocument> {
  const raw = await gw.bus.request(subjects.http(service), { method: "GET", path: SERVICE_OPENAPI_PATH, query: "", headers: {} }, { timeoutMs: SPEC_TIMEOUT_MS });
  const res = HttpRelayResponse.parse(raw);
  if (res.status !== 200) throw new Error(`${service} answered ${res.status}`);
  return JSON.parse(res.body) as OpenApiDocument;
}

/**
 * One OpenAPI document for the whole public origin: the gateway's own routes plus each service's,
 * read from the running services (so a service deployed alone documents what it serves).
 */
// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its env, routes and base path
export async function mergedOpenApi(gw: Gateway, app: Hono<any, any, any>, version: string): Promise<OpenApiDocument> {
  const own = (await openApiOf(app, { title: "Realtime platform", version })) as unknown as OpenApiDocument;
  const doc: OpenApiDocument = {
    ...own,
    info: {
      title: "Realtime platform",
      version,
      description: "Public HTTP of the gateway; service routes are relayed over NATS (rt.http.<service>). Errors: { error: { code, message } }.",
    },
    paths: { ...own.paths },
    components: { ...own.components, schemas: { ...own.components?.schemas } },
  };
  const missing: string[] = [];
  const services = httpServices();
  const specs = await Promise.allSettled(services.map((s) => serviceSpec(gw, s)));
  specs.forEach((r, i) => {
    if (r.status === "rejected") {
      missing.push(services[i]!);
      gw.log.warn({ service: services[i], err: String(r.reason) }, "service OpenAPI unavailable");
      return;
    }
    const renamed = addServiceSpec(doc, services[i]!, r.value);
    if (renamed.length) gw.log.warn({ service: services[i], renamed }, "OpenAPI schema names clash: kept under the service's prefix");
  });
  const tags = new Set(Object.values(doc.paths).flatMap((ops) => Object.values(ops).flatMap((o) => o.tags ?? [])));
  doc.tags = [...tags].sort().map((name) => ({ name }));
  if (missing.length) doc["x-missing-services"] = missing;
  return doc;
}

/**
 * Add one service's document to the merged one. A schema whose name is already taken by a
 * different schema is kept as `<service>.<name>`, with that service's `$ref`s rewritten, never
 * overwritten; the same schema twice is kept once. Returns the renames.
 */
export function addServiceSpec(doc: OpenApiDocument, service: string, spec: OpenApiDocument): Array<[string, string]> {
  const taken = (doc.components.schemas ??= {});
  const renames = new Map<string, string>();
  for (const [name, schema] of Object.entries(spec.components?.schemas ?? {})) {
    if (name in taken && !Bun.deepEquals(taken[name], schema)) renames.set(name, `${service}.${name}`);
  }
  let s = spec;
  if (renames.size) {
    const text = JSON.stringify(spec).replace(/"#\/components\/schemas\/([^"]+)"/g, (m, n: string) => (renames.has(n) ? `"#/components/schemas/${renames.get(n)}"` : m));
    s = JSON.parse(text) as OpenApiDocument;
    s.components.schemas = Object.fromEntries(Object.entries(s.components.schemas ?? {}).map(([n, v]) => [renames.get(n) ?? n, v]));
  }
  for (const [path, ops] of Object.entries(s.paths)) doc.paths[path] = { ...doc.paths[path], ...ops };
  Object.assign(taken, s.components?.schemas);
  if (s.components?.parameters) doc.components.parameters = { ...doc.components.parameters, ...s.components.parameters };
  return [...renames];
}

let asyncApi: string | undefined;
/** The AsyncAPI document as JSON text; built once, it depends on the contracts alone. */
export const asyncApiJson = () => (asyncApi ??= JSON.stringify(buildAsyncApi()));

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const METHODS = ["get", "post", "put", "patch", "delete"];

/** Parameters, request body and success bodies of one operation, as folded JSON Schema. */
function schemasOf(op: Operation): string {
  const json = (m?: Media) => m?.content?.["application/json"]?.schema;
  const parts: Array<[string, unknown]> = [];
  if (op.parameters?.length) parts.push(["parameters", op.parameters.map((p) => `${p.in} ${p.name}${p.required ? "" : "?"}`).join(", ")]);
  if (json(op.requestBody)) parts.push(["request body", json(op.requestBody)]);
  for (const [status, r] of Object.entries(op.responses ?? {})) if (Number(status) < 300 && json(r)) parts.push([status, json(r)]);
  if (!parts.length) return "";
  const body = parts.map(([k, v]) => `<b>${esc(k)}</b><pre>${esc(typeof v === "string" ? v : JSON.stringify(v, null, 1))}</pre>`).join("");
  return `<details><summary>schemas</summary>${body}</details>`;
}

/** A small self-contained reference page (no scripts, nothing loaded from elsewhere). */
export function docsPage(openapi: OpenApiDocument): string {
  const asyncDoc = buildAsyncApi();
  const rows = Object.entries(openapi.paths)
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([path, ops]) =>
      METHODS.filter((m) => ops[m]).map((m) => {
        const op = ops[m]!;
        const auth = (op.security ?? []).flatMap((s) => Object.keys(s)).join(", ") || "public";
        const codes = Object.entries(op.responses ?? {})
          .map(([status, r]) => `<span title="${esc(r.description ?? "")}">${esc(status)}</span>`)
          .join(" ");
        return `<tr><td class="m ${m}">${m.toUpperCase()}</td><td><code>${esc(path)}</code></td><td>${esc(op.summary ?? "")}${schemasOf(op)}</td><td>${esc(auth)}</td><td>${codes}</td></tr>`;
      }),
    )
    .join("\n");
  const events = (action: "send" | "receive") =>
    Object.entries(asyncDoc.operations)
      .filter(([k, o]) => (k.startsWith("client.") || k.startsWith("server.")) && (o as { action: string }).action === action)
      .map(([, o]) => `<li><code>${esc((o as { title: string }).title)}</code></li>`)
      .join("");
  const subjectsList = Object.values(asyncDoc.channels)
    .filter((c) => c.address.startsWith("rt."))
    .map((c) => `<li><code>${esc(c.address)}</code></li>`)
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Realtime platform API</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d2330}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e3e6ec;padding:.35rem .5rem;text-align:left;vertical-align:top}
.m{font-weight:600;font-family:monospace}.get{color:#0a7}.post{color:#06c}.delete{color:#c33}.put,.patch{color:#a60}
ul.cols{columns:3;padding-left:1.2rem}code{font-size:13px}pre{background:#f5f6f8;padding:.4rem;overflow:auto;max-height:20rem;font-size:12px}
</style></head><body>
<h1>Realtime platform API</h1>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${esc(openapi.openapi)}) and <a href="/asyncapi.json">/asyncapi.json</a> (AsyncAPI ${esc(asyncDoc.asyncapi)}).
Errors are <code>{ "error": { "code", "message" } }</code>; codes: UNAUTHENTICATED 401, FORBIDDEN 403, NOT_FOUND 404, VALIDATION 400, RATE_LIMITED 429, CONFLICT 409, UNAVAILABLE 503, INTERNAL 500.</p>
${openapi["x-missing-services"] ? `<p><strong>Not answering now:</strong> ${esc(openapi["x-missing-services"].join(", "))}</p>` : ""}
<h2>HTTP</h2>
<table><thead><tr><th>method</th><th>path</th><th>what</th><th>auth</th><th>responses</th></tr></thead><tbody>
${rows}
</tbody></table>
<h2>Socket.IO (<code>/socket.io/</code>, <code>/api/socket</code>)</h2>
<p>Every client event takes an optional ack: <code>{ ok: true, data? }</code> or <code>{ ok: false, error: { code, message } }</code>.</p>
<h3>Client emits</h3><ul class="cols">${events("receive")}</ul>
<h3>Server emits</h3><ul class="cols">${events("send")}</ul>
<h2>NATS subjects</h2><ul class="cols">${subjectsList}</ul>
</body></html>`;
}
