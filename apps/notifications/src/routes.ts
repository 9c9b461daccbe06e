import { Hono, type Context } from "hono";
import { createMiddleware } from "hono/factory";
import {
  ArtisanListQuery,
  ArtisanRequestCreate,
  ArtisanRequestCreateBody,
  ArtisanRequestRef,
  NotificationCreateBody,
  NotificationListQuery,
  NotificationRef,
} from "@rt/contracts";
import { checkApiKey, createServiceApp, requireUser, valid, type Logger, type PlatformConfig, type ServiceEnv } from "@rt/service-kit";
import { listNotifications, markAllRead, markRead, notify, removeNotification, unreadCount, type NotificationsDeps } from "./notifications.ts";
import { createArtisanRequest, decideArtisanRequest, listArtisanRequests } from "./approvals.ts";

type Deps = NotificationsDeps & { log: Logger; config: PlatformConfig };

/** A verified user, checked before the payload so a stranger learns nothing from validation errors. */
const authed = createMiddleware<ServiceEnv>(async (c, next) => {
  requireUser(c);
  await next();
});

/** The publish API's key, for callers without a user (internal services). */
const apiKey = (config: PlatformConfig) =>
  createMiddleware<ServiceEnv>(async (c, next) => {
    checkApiKey(c.req.header("x-api-key"), config.PUBLISH_API_KEY);
    await next();
  });

/** The body as JSON, or undefined when it is not JSON (the schema then answers VALIDATION). */
const jsonBody = (c: Context<ServiceEnv>): Promise<unknown> => c.req.json().catch(() => undefined);

/** Seed 004 approval requests; mounted at /api/approvals and at the seed's /api/notifications path. */
function approvalRoutes(deps: Deps): Hono<ServiceEnv> {
  const app = new Hono<ServiceEnv>();
  // Any user, or a publisher with the API key naming the tenant in the body.
  app.post("/artisan-requests", async (c) => {
    const key = c.req.header("x-api-key");
    if (key === undefined) {
      const { tenantId } = requireUser(c);
      return c.json(await createArtisanRequest(deps, tenantId, ArtisanRequestCreate.parse(await jsonBody(c))), 201);
    }
    checkApiKey(key, deps.config.PUBLISH_API_KEY);
    const input = ArtisanRequestCreateBody.parse(await jsonBody(c));
    return c.json(await createArtisanRequest(deps, input.tenantId, input), 201);
  });
  app.get("/artisan-requests", authed, valid("query", ArtisanListQuery), async (c) =>
    c.json(await listArtisanRequests(deps, requireUser(c), c.req.valid("query").status)),
  );
  for (const [path, decision] of [["approve", "approved"], ["reject", "rejected"]] as const) {
    app.post(`/artisan-requests/:id/${path}`, authed, valid("param", ArtisanRequestRef), async (c) =>
      c.json(await decideArtisanRequest(deps, requireUser(c), c.req.valid("param").id, decision)),
    );
  }
  return app;
}

export function notificationRoutes(deps: Deps): Hono<ServiceEnv> {
  const app = createServiceApp(deps.log);
  // Publishers only: a bearer token is not enough to write into someone's inbox.
  app.post("/api/notifications", apiKey(deps.config), valid("json", NotificationCreateBody), async (c) => {
    const { tenantId, userId, ...input } = c.req.valid("json");
    return c.json(await notify(deps, { tenantId, userId }, input), 201);
  });
  app.get("/api/notifications", authed, valid("query", NotificationListQuery), async (c) =>
    c.json(await listNotifications(deps, requireUser(c), c.req.valid("query"))),
  );
  app.get("/api/notifications/unread-count", authed, async (c) => c.json({ count: await unreadCount(deps.db, requireUser(c)) }));
  app.post("/api/notifications/read-all", authed, async (c) => c.json(await markAllRead(deps, requireUser(c))));
  app.post("/api/notifications/:notificationId/read", authed, valid("param", NotificationRef), async (c) =>
    c.json(await markRead(deps, requireUser(c), c.req.valid("param").notificationId)),
  );
  app.delete("/api/notifications/:notificationId", authed, valid("param", NotificationRef), async (c) =>
    c.json(await removeNotification(deps, requireUser(c), c.req.valid("param").notificationId)),
  );

  const approvals = approvalRoutes(deps);
  app.route("/api/approvals", approvals);
  app.route("/api/notifications", approvals);
  return app;
}
