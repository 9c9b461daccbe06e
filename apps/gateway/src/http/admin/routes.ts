import { Hono, type Context } from "hono";
import { streamSSE } from "hono/streaming";
import {
  AdminAffectedResult,
  AdminCountsResult,
  AdminGatewaysResult,
  AdminListResult,
  AdminRoomsResult,
  AdminStatsResult,
  AdminTapInput,
  AdminWhoAmI,
  AppError,
  PresenceList,
  parseAdminInput,
  type SvcContext,
} from "@rt/contracts";
import { callService, route } from "@rt/service-kit";
import type { AdminApi } from "@rt/sdk";
import type { Gateway } from "../../types.ts";
import { adminCaller, requirePlatform, scopeTenant, type AdminCaller } from "./caller.ts";
import { TapLimits } from "./tap-limits.ts";

const doc = (summary: string, ok: Parameters<typeof route>[0]["responses"][200], platformOnly = false) =>
  route({
    summary,
    tags: ["admin"],
    auth: ["bearer"],
    description: platformOnly
      ? "Needs `Authorization: Bearer <ADMIN_API_KEY>`."
      : "`Authorization: Bearer <ADMIN_API_KEY>` (any tenant) or a token with a role of ADMIN_ROLES (its own tenant only).",
    errors: ["FORBIDDEN"],
    responses: { 200: ok },
  });

async function body(c: Context): Promise<Record<string, unknown>> {
  const raw = await c.req.json().catch(() => {
    throw new AppError("VALIDATION", "body must be JSON");
  });
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new AppError("VALIDATION", "body must be a JSON object");
  return raw as Record<string, unknown>;
}

/**
 * `/api/admin/*`: the cluster-wide server API over HTTP for admin credentials. Every call is
 * scoped to the caller's tenant unless the credential is platform-wide, and logged with the caller.
 */
export function adminRoutes(gw: Gateway, api: AdminApi): Hono<{ Variables: { caller: AdminCaller } }> {
  const app = new Hono<{ Variables: { caller: AdminCaller } }>();
  const taps = new TapLimits();

  app.use("*", async (c, next) => {
    const caller = await adminCaller(gw, c.req.header("authorization"));
    c.set("caller", caller);
    gw.log.info({ actor: caller.actor, platform: caller.platform, method: c.req.method, path: c.req.path, query: c.req.query() }, "admin call");
    await next();
  });
  const as = (c: Context<{ Variables: { caller: AdminCaller } }>) => api.as(c.get("caller").actor);
  const tenantOf = (c: Context<{ Variables: { caller: AdminCaller } }>, asked: unknown) =>
    scopeTenant(c.get("caller"), typeof asked === "string" && asked !== "" ? asked : undefined);

  app.get("/whoami", doc("The admin caller and its scope", AdminWhoAmI), (c) => c.json(c.get("caller")));

  app.get("/gateways", doc("Gateways seen in the presence heartbeats, with their health", AdminGatewaysResult, true), async (c) => {
    requirePlatform(c.get("caller"));
    return c.json({ gateways: await api.gateways() });
  });

  app.get("/connections", doc("Connections on every gateway (filter: tenantId, userId, roomId, socketId; limit per gateway)", AdminListResult), async (c) => {
    const q = c.req.query();
    return c.json(await as(c).listConnections({ ...q, tenantId: tenantOf(c, q.tenantId) }));
  });

  app.post("/disconnect", doc("Disconnect a user's or a socket's connections everywhere; the client receives the reason", AdminAffectedResult), async (c) => {
    const b = await body(c);
    return c.json(await as(c).disconnect({ ...(b as { reason: string }), tenantId: tenantOf(c, b.tenantId) }));
  });

  app.post("/leave", doc("Make a user's sockets leave a chat room everywhere", AdminAffectedResult), async (c) => {
    const b = await body(c);
    return c.json(await as(c).leaveRoom({ ...(b as { userId: string; roomId: string }), tenantId: tenantOf(c, b.tenantId)! }));
  });

  app.get("/counts", doc("Sockets per tenant and per gateway", AdminCountsResult), async (c) => {
    return c.json(await as(c).counts({ tenantId: tenantOf(c, c.req.query("tenantId")) }));
  });

  app.get("/rooms", doc("Chat rooms of a tenant with live sockets and member counts", AdminRoomsResult), async (c) => {
    const tenantId = tenantOf(c, c.req.query("tenantId"));
    if (!tenantId) throw new AppError("VALIDATION", "tenantId is required");
    return c.json(await as(c).rooms({ tenantId }));
  });

  app.get("/presence", doc("Users online in a tenant (the presence service's view)", PresenceList), async (c) => {
    const tenantId = tenantOf(c, c.req.query("tenantId"));
    if (!tenantId) throw new AppError("VALIDATION", "tenantId is required");
    const ctx: SvcContext = { tenantId, userId: c.get("caller").actor, roles: [], name: "admin", gatewayId: gw.id, traceId: crypto.randomUUID() };
    return c.json(PresenceList.parse(await callService(gw.bus, "presence", "presence:list", ctx, {}, { timer: gw.metrics.busTimer })));
  });

  app.get("/stats", doc("Counters of every gateway (events in, deliveries, errors, rate limits), for rates", AdminStatsResult, true), async (c) => {
    requirePlatform(c.get("caller"));
    return c.json(await as(c).stats());
  });

  app.get(
    "/tap",
    route({
      summary: "Live tap: Server-Sent Events of the envelopes delivered to one tenant (or one chat room of it)",
      description: `Rate-limited: at most ${TapLimits.PER_ACTOR} taps per caller and ${TapLimits.PER_GATEWAY} per gateway at once, ${TapLimits.EVENTS_PER_SEC} envelopes per second per tap (the rest are counted in \`dropped\` events).`,
      tags: ["admin"],
      auth: ["bearer"],
      errors: ["FORBIDDEN", "RATE_LIMITED"],
      responses: { 200: { mediaType: "text/event-stream" } },
    }),
    async (c) => {
      const caller = c.get("caller");
      const q = parseAdminInput(AdminTapInput, c.req.query());
      const tenantId = tenantOf(c, q.tenantId);
      if (!tenantId) throw new AppError("VALIDATION", "tenantId is required");
      const release = taps.open(caller.actor);
      return streamSSE(c, async (stream) => {
        const bucket = taps.bucket();
        let dropped = 0;
        const sub = api.tap({ tenantId, roomId: q.roomId }, (env) => {
          if (!bucket.take()) return void dropped++;
          void stream.writeSSE({ event: "envelope", data: JSON.stringify(env) });
        });
        const tick = setInterval(() => {
          if (dropped) void stream.writeSSE({ event: "dropped", data: JSON.stringify({ count: dropped }) });
          else void stream.write(": keep-alive\n\n");
          dropped = 0;
        }, 1000);
        await stream.writeSSE({ event: "ready", data: JSON.stringify({ tenantId, roomId: q.roomId ?? null, gatewayId: gw.id }) });
        await new Promise<void>((resolve) => stream.onAbort(resolve));
        clearInterval(tick);
        sub.unsubscribe();
        release();
        gw.log.info({ actor: caller.actor, tenantId }, "admin tap closed");
      });
    },
  );
  return app;
}
