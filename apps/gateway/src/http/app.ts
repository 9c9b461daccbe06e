import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import {
  AppError,
  HealthStatus,
  httpStatusOf,
  PublishAccepted,
  PublishEnvelope,
  ReadyStatus,
  serviceForPath,
  SocketStatus,
  restRateClass,
  subjects,
  HttpRelayResponse,
  VersionInfo,
  type SvcContext,
} from "@rt/contracts";
import { bearer, TokenError } from "@rt/auth";
import { callService, jsonDepthLimit, opsResponse, requestService, route, secretEquals, toErrorBody, type Readiness } from "@rt/service-kit";
import type { Registry } from "prom-client";
import { publishFromHttp } from "./publish.ts";
import { asyncApiJson, asyncApiVersion, mergedOpenApi } from "./docs.ts";
import { demoApp, demoEnabled } from "./demo/demo.ts";
import { clientJsResponse } from "./client-bundle.ts";
import { landingHtml, landingInfo } from "./landing.ts";
import { asyncApiViewer, docsIndex, openApiViewer } from "./docs-viewer.ts";
import { userKey, type Limiter } from "../inbound/limiter.ts";
import type { Gateway } from "../types.ts";

export const VERSION = "1.0.0";
const MAX_BODY = 1024 * 1024;
/** Request headers a service may need; Authorization is verified here and becomes ctx instead. */
const RELAYED_HEADERS = ["content-type", "payment-signature", "x-api-key", "user-agent"];
/** A caller's X-Request-Id becomes the trace id when it is a plain short token; otherwise a new one. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The gateway's public HTTP: status routes, the publish API, and every service route relayed over the bus. */
export function createHttpApp(gw: Gateway, opts: { readiness: Readiness; metrics: Registry; limiter: Limiter; admin: Hono }) {
  const app = new Hono();
  app.onError((err, c) => {
    const body = toErrorBody(err, gw.log, `${c.req.method} ${c.req.path}`);
    if (body.retryAfterMs !== undefined) c.header("retry-after", String(Math.max(1, Math.ceil(body.retryAfterMs / 1000))));
    return c.json({ error: body }, httpStatusOf[body.code]);
  });
  app.use("*", bodyLimit({ maxSize: MAX_BODY, onError: (c) => c.json({ error: { code: "VALIDATION", message: "body too large" } }, 413) }));
  // The socket path's depth limit for every body, before any route parses or relays it.
  app.use("*", jsonDepthLimit);

  const ops = (path: string) => async () => (await opsResponse(path, opts.readiness, opts.metrics, "gateway"))!;
  app.get("/health", route({ summary: "Liveness", tags: ["ops"], responses: { 200: HealthStatus } }), ops("/health"));
  app.get(
    "/ready",
    route({ summary: "Readiness: the bus answers and the gateway is not stopping", tags: ["ops"], responses: { 200: ReadyStatus, 503: ReadyStatus } }),
    ops("/ready"),
  );
  // Public /metrics: behind METRICS_TOKEN when set; else open in development, absent in production (OPS_PORT serves it).
  const metricsToken = gw.config.METRICS_TOKEN;
  if (metricsToken || gw.config.NODE_ENV !== "production") {
    const metricsDoc = route({
      summary: "Prometheus metrics",
      description: metricsToken ? "Needs `Authorization: Bearer <METRICS_TOKEN>`." : undefined,
      tags: ["ops"],
      errors: metricsToken ? ["UNAUTHENTICATED"] : undefined,
      responses: { 200: { mediaType: "text/plain; version=0.0.4" } },
    });
    app.get("/metrics", metricsDoc, async (c) => {
      if (metricsToken && !secretEquals(bearer(c.req.header("authorization")) ?? "", metricsToken)) throw new AppError("UNAUTHENTICATED", "metrics need the METRICS_TOKEN bearer");
      return ops("/metrics")();
    });
  }
  app.get("/api/version", route({ summary: "Platform version", tags: ["status"], responses: { 200: VersionInfo } }), (c) =>
    c.json({ version: VERSION, name: "Realtime Platform" }),
  );

  const socketDoc = route({ summary: "Socket.IO status (seed 001); connectedClients counts every gateway", tags: ["status"], responses: { 200: SocketStatus } });
  app.get("/api/socket", socketDoc, async (c) => {
    let connectedClients = gw.io.engine.clientsCount;
    try {
      const ctx: SvcContext = { tenantId: "", userId: "", roles: [], name: "", gatewayId: gw.id, traceId: crypto.randomUUID() };
      connectedClients = (await callService(gw.bus, "presence", "count", ctx, {}, { timer: gw.metrics.busTimer })).connectedClients;
    } catch (err) {
      gw.log.debug({ err: String(err) }, "presence unavailable; counting local sockets");
    }
    return c.json({ success: true, message: "Socket.IO server status", available: true, connectedClients, path: "/api/socket" });
  });

  const publishDoc = route({
    summary: "Publish an event to a user, role, room, sync channel, tenant or payments subscribers",
    description: "Internal publishers; the platform stamps id and timestamp (and seq for data-change).",
    tags: ["publish"],
    auth: ["apiKey"],
    body: PublishEnvelope,
    responses: { 202: PublishAccepted },
  });
  app.post("/api/publish", publishDoc, async (c) => {
    const body = await c.req.json().catch(() => {
      throw new AppError("VALIDATION", "body must be JSON");
    });
    const env = await publishFromHttp(gw, c.req.header("x-api-key"), body);
    return c.json({ id: env.id }, 202);
  });

  app.get("/openapi.json", route({ summary: "This OpenAPI document", tags: ["docs"], responses: { 200: { mediaType: "application/json" } } }), async (c) =>
    c.json(await mergedOpenApi(gw, app, VERSION)),
  );
  app.get(
    "/asyncapi.json",
    route({ summary: "AsyncAPI 3.0: Socket.IO events and NATS subjects", tags: ["docs"], responses: { 200: { mediaType: "application/json" } } }),
    () => new Response(asyncApiJson(), { headers: { "content-type": "application/json" } }),
  );
  app.get("/docs", route({ summary: "API reference: links to the AsyncAPI and OpenAPI viewers", tags: ["docs"], responses: { 200: { mediaType: "text/html" } } }), async (c) => {
    const openapi = await mergedOpenApi(gw, app, VERSION);
    return c.html(docsIndex({ openapi: openapi.openapi, asyncapi: asyncApiVersion(), missing: openapi["x-missing-services"] }));
  });

  app.get(
    "/",
    route({ summary: "Landing: links to the docs, API documents, client and demo", tags: ["docs"], responses: { 200: { mediaType: "application/json" } } }),
    async (c) => {
      const info = await landingInfo({ version: VERSION, demo: demoEnabled(gw.config) });
      return c.req.header("accept")?.includes("text/html") ? c.html(landingHtml(info)) : c.json(info);
    },
  );
  app.get(
    "/client.js",
    route({ summary: "The client SDK as one browser ES module (ETag, cacheable)", tags: ["docs"], responses: { 200: { mediaType: "text/javascript" } } }),
    (c) => clientJsResponse(c.req.header("if-none-match")),
  );
  app.route("/docs/openapi", openApiViewer({ log: gw.log }));
  app.route("/docs/asyncapi", asyncApiViewer({ log: gw.log }));
  app.route("/demo", demoApp(gw)); // dev console; nothing when NODE_ENV=production
  app.route("/", opts.admin); // /api/admin/* and the /admin console (admin/admin.ts)

  app.all("*", async (c) => {
    const service = serviceForPath(c.req.path);
    if (!service) throw new AppError("NOT_FOUND", "no such route");
    const given = c.req.header("x-request-id");
    const traceId = given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    const log = gw.log.child({ traceId, service, method: c.req.method, path: c.req.path });
    let ctx: SvcContext | undefined;
    const token = bearer(c.req.header("authorization"));
    if (token) {
      try {
        const { exp: _exp, ...p } = await gw.verify(token);
        ctx = { ...p, gatewayId: gw.id, traceId };
      } catch (err) {
        const reason = err instanceof TokenError ? err.message : "token invalid";
        gw.metrics.authFailures.inc({ reason });
        log.info({ reason }, "http auth failed");
        throw new AppError("UNAUTHENTICATED", reason);
      }
    }
    // The same per-user budgets as the socket events a route mirrors (anonymous and API-key
    // callers are answered by the service's own checks).
    const cls = restRateClass(c.req.method, c.req.path);
    if (ctx && cls) await opts.limiter.spend(cls, userKey(ctx.tenantId, ctx.userId), `too many ${c.req.method} requests, slow down`);
    // The service logs under the same id, with or without a caller.
    const headers: Record<string, string> = { "x-request-id": traceId };
    for (const h of RELAYED_HEADERS) {
      const v = c.req.header(h);
      if (v !== undefined) headers[h] = v;
    }
    const url = new URL(c.req.url);
    const hasBody = c.req.method !== "GET" && c.req.method !== "HEAD";
    const started = performance.now();
    const raw = await requestService(
      gw.bus,
      service,
      subjects.http(service),
      {
        method: c.req.method,
        path: url.pathname,
        query: url.search,
        headers,
        body: hasBody ? await c.req.text() : undefined,
        ctx,
      },
      { timer: gw.metrics.busTimer },
    );
    const res = HttpRelayResponse.parse(raw);
    log.debug({ userId: ctx?.userId ?? null, status: res.status, ms: Math.round((performance.now() - started) * 10) / 10 }, "http relayed");
    const out = new Headers({ "x-request-id": traceId });
    const type = res.headers["content-type"];
    if (type) out.set("content-type", type);
    return new Response(res.status === 204 || res.status === 304 ? null : res.body, { status: res.status, headers: out });
  });
  return app;
}
