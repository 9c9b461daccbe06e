import { Hono, type Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { validator } from "hono-openapi";
import type { z } from "zod";
import {
  AppError,
  HttpRelayRequest,
  SERVICE_OPENAPI_PATH,
  describeZodError,
  httpStatusOf,
  subjects,
  type HttpRelayResponse,
  type ServiceName,
  type SvcContext,
} from "@rt/contracts";
import type { Bus, Subscription } from "@rt/bus";
import type { Registry } from "prom-client";
import { toErrorBody } from "./errors.ts";
import type { Logger } from "./log.ts";
import { openApiOf } from "./openapi.ts";
import { httpSeconds } from "./metrics.ts";
import { withTrace } from "./trace.ts";
import { jsonDepthLimit } from "./payload.ts";

/** Methods kept as a metric label; anything else is counted as "other". */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** Bindings a relayed request carries: the caller the gateway verified, if any. */
export type ServiceEnv = { Bindings: { ctx?: SvcContext } };

/** Hono app with the platform's one error handler: the codes of docs/PROTOCOL.md#error-codes, no internals. */
export function createServiceApp(log: Logger): Hono<ServiceEnv> {
  const app = new Hono<ServiceEnv>();
  app.onError((err, c) => {
    if (err instanceof HTTPException && !(err.cause instanceof AppError)) {
      const code = err.status === 401 ? "UNAUTHENTICATED" : err.status === 404 ? "NOT_FOUND" : "VALIDATION";
      return c.json({ error: { code, message: err.message || "bad request" } }, err.status);
    }
    const body = toErrorBody(err instanceof HTTPException ? err.cause : err, log, `${c.req.method} ${c.req.path}`);
    return c.json({ error: body }, httpStatusOf[body.code]);
  });
  app.notFound((c) => c.json({ error: { code: "NOT_FOUND", message: "no such route" } }, 404));
  // Reached directly or through the relay: no handler ever parses a body nested past the limit.
  app.use("*", jsonDepthLimit);
  return app;
}

/** The verified caller, or UNAUTHENTICATED. */
export function requireUser(c: Context<ServiceEnv>): SvcContext {
  const ctx = c.env?.ctx;
  if (!ctx) throw new AppError("UNAUTHENTICATED", "a bearer token is required");
  return ctx;
}

/**
 * zod validation of a request part whose failure answers VALIDATION through the error handler; the
 * schema also documents the part in the service's OpenAPI document.
 */
export function valid<T extends z.ZodType, K extends "json" | "query" | "param">(target: K, schema: T) {
  return validator(target, schema, (r) => {
    if (!r.success) throw new AppError("VALIDATION", describeZodError({ issues: r.error }));
  });
}

/**
 * Serve the app's routes on `rt.http.<service>`: the gateway relays public HTTP here, so the same
 * URLs work on the gateway's port with one process or many. `GET /openapi.json` there answers the
 * routes' OpenAPI document (the gateway never relays that path from outside).
 */
export function serveHttpRelay(bus: Bus, service: ServiceName, app: Hono<ServiceEnv>, log: Logger, metrics: Registry): Subscription {
  let spec: Promise<string> | undefined;
  const seconds = httpSeconds(metrics);
  return bus.respond(
    subjects.http(service),
    async (raw): Promise<HttpRelayResponse> => {
      const parsed = HttpRelayRequest.safeParse(raw);
      if (!parsed.success) return { status: 400, headers: {}, body: JSON.stringify({ error: { code: "VALIDATION", message: "bad relay request" } }) };
      const r = parsed.data;
      if (r.method === "GET" && r.path === SERVICE_OPENAPI_PATH) {
        spec ??= openApiOf(app, { title: service }).then((d) => JSON.stringify(d));
        return { status: 200, headers: { "content-type": "application/json" }, body: await spec };
      }
      const hasBody = r.body !== undefined && r.method !== "GET" && r.method !== "HEAD";
      const req = new Request(`http://service${r.path}${r.query}`, {
        method: r.method,
        headers: r.headers,
        body: hasBody ? r.body : undefined,
      });
      const started = performance.now();
      const traceId = r.ctx?.traceId ?? r.headers["x-request-id"];
      // Fields, not a child logger per request (see serveActions).
      const fields = { traceId, method: r.method, path: r.path };
      let out: HttpRelayResponse;
      try {
        const res = await withTrace(traceId, () => app.fetch(req, { ctx: r.ctx }));
        const headers: Record<string, string> = {};
        res.headers.forEach((v, k) => {
          headers[k] = v;
        });
        out = { status: res.status, headers, body: await res.text() };
      } catch (err) {
        const body = toErrorBody(err, () => log.child(fields), `${service} relay`);
        out = { status: httpStatusOf[body.code], headers: { "content-type": "application/json" }, body: JSON.stringify({ error: body }) };
      }
      const elapsed = performance.now() - started;
      seconds.observe({ service, method: METHODS.has(r.method) ? r.method : "other", status: String(out.status) }, elapsed / 1000);
      if (log.isLevelEnabled("debug")) log.debug({ ...fields, userId: r.ctx?.userId ?? null, status: out.status, ms: Math.round(elapsed * 10) / 10 }, "http handled");
      return out;
    },
    { queue: service },
  );
}
