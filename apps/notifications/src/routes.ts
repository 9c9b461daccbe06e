import { Hono, type Context } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import {
  ArtisanListQuery,
  ArtisanRequest,
  ArtisanRequestCreate,
  ArtisanRequestCreateBody,
  ArtisanRequestList,
  ArtisanRequestRef,
  Notification,
  NotificationCreateBody,
  NotificationListQuery,
  NotificationPage,
  NotificationRef,
  NotificationRemoved,
  ReadAllResult,
  UnreadCount,
} from "@rt/contracts";
import {
  authenticatePublisher,
  createServiceApp,
  publishKeysOf,
  requirePublishTenant,
  requireUser,
  route,
  valid,
  type Logger,
  type PlatformConfig,
  type Publisher,
  type RouteDoc,
  type ServiceEnv,
} from "@rt/service-kit";
import { listNotifications, markAllRead, markRead, notify, removeNotification, unreadCount, type NotificationsDeps } from "./notifications.ts";
import { createArtisanRequest, decideArtisanRequest, listArtisanRequests } from "./approvals.ts";

type Deps = NotificationsDeps & { log: Logger; config: PlatformConfig };

/** A verified user, checked before the payload so a stranger learns nothing from validation errors. */
const authed = createMiddleware<ServiceEnv>(async (c, next) => {
  requireUser(c);
  await next();
});

/** The publish API's key, for callers without a user (internal services); the tenant is checked per body. */
const apiKey = (config: PlatformConfig) =>
  createMiddleware<ServiceEnv & { Variables: { publisher: Publisher } }>(async (c, next) => {
    c.set("publisher", authenticatePublisher(c.req.header("x-api-key"), publishKeysOf(config)));
    await next();
  });

/** The body as JSON, or undefined when it is not JSON (the schema then answers VALIDATION). */
const jsonBody = (c: Context<ServiceEnv>): Promise<unknown> => c.req.json().catch(() => undefined);

const inbox = (d: Omit<RouteDoc, "tags" | "auth">) => route({ ...d, tags: ["notifications"], auth: ["bearer"] });
const approvalDoc = (d: Omit<RouteDoc, "tags">) => route({ ...d, tags: ["approvals"] });

/** Seed 004 approval requests; mounted at /api/approvals and at the seed's /api/notifications path. */
function approvalRoutes(deps: Deps): Hono<ServiceEnv> {
  const app = new Hono<ServiceEnv>();
  // Any user, or a publisher with the API key naming the tenant in the body.
  const createDoc = approvalDoc({
    summary: "New artisan request; every pdg user gets artisan-request:new",
    description: "As a user (bearer), or as a publisher (X-Api-Key) naming the tenant in the body.",
    auth: ["bearer", "apiKey"],
    body: z.union([ArtisanRequestCreate, ArtisanRequestCreateBody]),
    responses: { 201: ArtisanRequest },
  });
  app.post("/artisan-requests", createDoc, async (c) => {
    const key = c.req.header("x-api-key");
    if (key === undefined) {
      const { tenantId } = requireUser(c);
      return c.json(await createArtisanRequest(deps, tenantId, ArtisanRequestCreate.parse(await jsonBody(c))), 201);
    }
    const publisher = authenticatePublisher(key, publishKeysOf(deps.config));
    const input = ArtisanRequestCreateBody.parse(await jsonBody(c));
    requirePublishTenant(publisher, input.tenantId, deps.log, `POST ${c.req.path}`);
    return c.json(await createArtisanRequest(deps, input.tenantId, input), 201);
  });
  const listDoc = approvalDoc({ summary: "Artisan requests of the tenant (pdg only)", auth: ["bearer"], responses: { 200: ArtisanRequestList }, errors: ["FORBIDDEN"] });
  app.get("/artisan-requests", listDoc, authed, valid("query", ArtisanListQuery), async (c) =>
    c.json(await listArtisanRequests(deps, requireUser(c), c.req.valid("query").status)),
  );
  for (const [path, decision] of [
    ["approve", "approved"],
    ["reject", "rejected"],
  ] as const) {
    const decideDoc = approvalDoc({
      summary: `${path[0]!.toUpperCase()}${path.slice(1)} a pending request once (pdg only); pdg users get artisan-request:${decision}`,
      auth: ["bearer"],
      responses: { 200: ArtisanRequest },
      errors: ["FORBIDDEN", "NOT_FOUND", "CONFLICT"],
    });
    app.post(`/artisan-requests/:id/${path}`, decideDoc, authed, valid("param", ArtisanRequestRef), async (c) =>
      c.json(await decideArtisanRequest(deps, requireUser(c), c.req.valid("param").id, decision)),
    );
  }
  return app;
}

export function notificationRoutes(deps: Deps): Hono<ServiceEnv> {
  const app = createServiceApp(deps.log);
  // Publishers only: a bearer token is not enough to write into someone's inbox.
  const createDoc = route({
    summary: "Store and deliver a notification (publishers only)",
    tags: ["notifications"],
    auth: ["apiKey"],
    responses: { 201: Notification },
  });
  app.post("/api/notifications", createDoc, apiKey(deps.config), valid("json", NotificationCreateBody), async (c) => {
    const { tenantId, userId, ...input } = c.req.valid("json");
    requirePublishTenant(c.get("publisher"), tenantId, deps.log, "POST /api/notifications");
    return c.json(await notify(deps, { tenantId, userId }, input), 201);
  });
  const listDoc = inbox({ summary: "The caller's notifications, newest first", responses: { 200: NotificationPage } });
  app.get("/api/notifications", listDoc, authed, valid("query", NotificationListQuery), async (c) => c.json(await listNotifications(deps, requireUser(c), c.req.valid("query"))));
  const countDoc = inbox({ summary: "The caller's unread count", responses: { 200: UnreadCount } });
  app.get("/api/notifications/unread-count", countDoc, authed, async (c) => c.json({ count: await unreadCount(deps.db, requireUser(c)) }));
  const readAllDoc = inbox({ summary: "Mark all read; the user's sockets get notification:marked-read", responses: { 200: ReadAllResult } });
  app.post("/api/notifications/read-all", readAllDoc, authed, async (c) => c.json(await markAllRead(deps, requireUser(c))));
  const readDoc = inbox({ summary: "Mark one read", responses: { 200: Notification }, errors: ["NOT_FOUND"] });
  app.post("/api/notifications/:notificationId/read", readDoc, authed, valid("param", NotificationRef), async (c) =>
    c.json(await markRead(deps, requireUser(c), c.req.valid("param").notificationId)),
  );
  const deleteDoc = inbox({ summary: "Delete one", responses: { 200: NotificationRemoved }, errors: ["NOT_FOUND"] });
  app.delete("/api/notifications/:notificationId", deleteDoc, authed, valid("param", NotificationRef), async (c) =>
    c.json(await removeNotification(deps, requireUser(c), c.req.valid("param").notificationId)),
  );

  const approvals = approvalRoutes(deps);
  app.route("/api/approvals", approvals);
  app.route("/api/notifications", approvals);
  return app;
}
