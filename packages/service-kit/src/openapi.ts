import type { Hono } from "hono";
import { describeRoute, generateSpecs, resolver } from "hono-openapi";
import type { z } from "zod";
import { HttpError, httpStatusOf, type ErrorCode } from "@rt/contracts";

/** How a route's caller proves itself; names of the document's security schemes. */
export type RouteAuth = "bearer" | "apiKey" | "paymentSignature";

export const securitySchemes = {
  bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "HS256 token (sub, tenantId, roles, name, exp)" },
  apiKey: { type: "apiKey", in: "header", name: "X-Api-Key", description: "PUBLISH_API_KEY, for internal publishers" },
  paymentSignature: {
    type: "apiKey",
    in: "header",
    name: "Payment-Signature",
    description: "t=<unix>,v1=<hex HMAC-SHA256 of `t.rawBody`> with PAYMENTS_WEBHOOK_SECRET",
  },
} as const;

const json = (schema: z.ZodType) => ({ "application/json": { schema: resolver(schema) } });
/** Error bodies point at one shared component (the id makes it a `$ref`) instead of repeating it. */
const errorBody = json(HttpError.meta({ id: "HttpError" }));

export interface RouteDoc {
  summary: string;
  tags: string[];
  description?: string;
  /** Any one of these is enough; none means public. */
  auth?: RouteAuth[];
  /** Statuses and their JSON bodies (contract schemas), or a non-JSON body's media type. */
  responses: Partial<Record<200 | 201 | 202 | 503, z.ZodType | { mediaType: string }>>;
  /** Request body when no `valid("json", …)` documents it (raw bodies, bodies read by hand). */
  body?: z.ZodType;
  /** Refusals besides VALIDATION and (with auth) UNAUTHENTICATED. */
  errors?: ErrorCode[];
}

/**
 * OpenAPI description of one route, from contract schemas: its success bodies and the platform's
 * error body `{ error: { code, message } }` for every code it can answer. Request parameters and
 * JSON bodies come from the route's `valid(...)` validators.
 */
export function route(doc: RouteDoc) {
  // A bad webhook signature is a 400 like any bad body; a missing token or key is 401.
  const credential = doc.auth?.some((a) => a !== "paymentSignature");
  const codes: ErrorCode[] = ["VALIDATION", ...(credential ? (["UNAUTHENTICATED"] as const) : []), ...(doc.errors ?? [])];
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(httpStatusOf[code], [...(byStatus.get(httpStatusOf[code]) ?? []), code]);
  return describeRoute({
    summary: doc.summary,
    tags: doc.tags,
    ...(doc.description ? { description: doc.description } : {}),
    ...(doc.auth?.length ? { security: doc.auth.map((a) => ({ [a]: [] })) } : { security: [] }),
    ...(doc.body ? { requestBody: { required: true, content: json(doc.body) } } : {}),
    responses: {
      ...Object.fromEntries(
        Object.entries(doc.responses).map(([status, body]) => [
          status,
          { description: status === "503" ? "not ready" : "OK", content: "mediaType" in body ? { [body.mediaType]: {} } : json(body) },
        ]),
      ),
      ...Object.fromEntries([...byStatus].map(([status, cs]) => [status, { description: cs.join(" | "), content: errorBody }])),
    },
  });
}

/** The OpenAPI 3.1 document of a Hono app's described routes (undescribed ones are left out). */
// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its env, routes and base path
export function openApiOf(app: Hono<any, any, any>, info: { title: string; version?: string }) {
  return generateSpecs(app, {
    documentation: {
      info: { title: info.title, version: info.version ?? "1.0.0", description: "" },
      components: { securitySchemes },
    },
    // Every route states its own errors; the library's default 400 body is not ours.
    defaultValidationErrorResponse: false,
    // Only described routes are listed anyway; `/openapi.json` is one, not a static file.
    excludeStaticFile: false,
  });
}
