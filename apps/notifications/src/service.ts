import { fileURLToPath } from "node:url";
import { Outbox, defineService } from "@rt/service-kit";
import { markAllRead, markRead, notify, removeNotification, unreadCount } from "./notifications.ts";
import { consumeJobEvents } from "./job-events.ts";
import { notificationRoutes } from "./routes.ts";
import { notificationsOutbox } from "./schema.ts";

export const notificationsService = defineService({
  name: "notifications",
  migrations: fileURLToPath(new URL("../drizzle", import.meta.url)),
  async create(base) {
    const outbox = new Outbox({ ...base, table: notificationsOutbox, name: "notifications" });
    const deps = { ...base, outbox };
    return {
      actions: {
        "unread-count": async (ctx) => ({ count: await unreadCount(deps.db, ctx) }),
        "notification:read": (ctx, { notificationId }) => markRead(deps, ctx, notificationId),
        "notification:read-all": (ctx) => markAllRead(deps, ctx),
        "notification:delete": (ctx, { notificationId }) => removeNotification(deps, ctx, notificationId),
        // For the caller: the SDK names the user in ctx; the socket's `test:notification` is the caller's own.
        create: (ctx, input) => notify(deps, ctx, input),
        "test:notification": (ctx, input) => notify(deps, ctx, input),
      },
      http: notificationRoutes(deps),
      subscriptions: [await consumeJobEvents(deps)],
      stop: () => outbox.stop(),
    };
  },
});
