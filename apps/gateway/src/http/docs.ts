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
    const { renamed, kept } = addServiceSpec(doc, services[i]!, r.value);
    if (renamed.length) gw.log.warn({ service: services[i], renamed }, "OpenAPI component names clash: kept under the service's prefix");
    if (kept.length) gw.log.warn({ service: services[i], kept }, "OpenAPI operations already documented: kept the first");
  });
  const tags = new Set(Object.values(doc.paths).flatMap((ops) => Object.values(ops).flatMap((o) => o.tags ?? [])));
  doc.tags = [...tags].sort().map((name) => ({ name }));
  if (missing.length) doc["x-missing-services"] = missing;
  return doc;
}

/** Component kinds whose names services may reuse for different things. */
const RENAMED_KINDS = ["schemas", "parameters"] as const;

/** What merging one service's document changed: components renamed (`kind/name` to `kind/service.name`), operations kept as they were. */
export interface MergeNotes {
  renamed: Array<[string, string]>;
  kept: string[];
}

/**
 * Add one service's document to the merged one. A schema or parameter whose name is already taken
 * by a different one is kept as `<service>.<name>`, with that service's `$ref`s rewritten, never
 * overwritten; the same one twice is kept once. An operation (method and path) already documented
 * keeps its first description: the gateway's own routes answer before the relay.
 */
export function addServiceSpec(doc: OpenApiDocument, service: string, spec: OpenApiDocument): MergeNotes {
  const notes: MergeNotes = { renamed: [], kept: [] };
  const renames = new Map<string, string>(); // "kind/name" -> "service.name"
  for (const kind of RENAMED_KINDS) {
    const taken = doc.components[kind] ?? {};
    for (const [name, value] of Object.entries(spec.components?.[kind] ?? {})) {
      if (name in taken && !Bun.deepEquals(taken[name], value)) renames.set(`${kind}/${name}`, `${service}.${name}`);
    }
  }
  let s = spec;
  if (renames.size) {
    const text = JSON.stringify(spec).replace(/"#\/components\/(schemas|parameters)\/([^"]+)"/g, (m, kind: string, n: string) =>
      renames.has(`${kind}/${n}`) ? `"#/components/${kind}/${renames.get(`${kind}/${n}`)}"` : m,
    );
    s = JSON.parse(text) as OpenApiDocument;
    for (const kind of RENAMED_KINDS) {
      if (s.components?.[kind]) s.components[kind] = Object.fromEntries(Object.entries(s.components[kind]).map(([n, v]) => [renames.get(`${kind}/${n}`) ?? n, v]));
    }
    for (const [from, to] of renames) notes.renamed.push([from, `${from.split("/")[0]}/${to}`]);
  }
  for (const [path, ops] of Object.entries(s.paths)) {
    const have = (doc.paths[path] ??= {});
    for (const [method, operation] of Object.entries(ops)) {
      if (method in have) notes.kept.push(`${method} ${path}`);
      else have[method] = operation;
    }
  }
  for (const kind of RENAMED_KINDS) if (s.components?.[kind]) doc.components[kind] = { ...s.components[kind], ...doc.components[kind] };
  return notes;
}

let asyncApi: { doc: ReturnType<typeof buildAsyncApi>; text: string } | undefined;
/** The AsyncAPI document, built once: it depends on the contracts alone. */
const asyncApiDoc = () => (asyncApi ??= ((doc) => ({ doc, text: JSON.stringify(doc) }))(buildAsyncApi()));
/** The AsyncAPI document as JSON text. */
export const asyncApiJson = () => asyncApiDoc().text;
/** Its AsyncAPI version, for the docs page. */
export const asyncApiVersion = () => asyncApiDoc().doc.asyncapi;
