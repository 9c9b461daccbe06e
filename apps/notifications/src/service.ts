import { NotificationInput, NotificationRef, actions } from "@rt/contracts";
import { serveActions, serveHttpRelay, type RunningService, type ServiceDeps } from "@rt/service-kit";
import { markAllRead, markRead, notify, removeNotification, unreadCount } from "./notifications.ts";
import { consumeJobEvents } from "./job-events.ts";
import { notificationRoutes } from "./routes.ts";

export async function createNotificationsService(deps: ServiceDeps): Promise<RunningService> {
  const { bus, db, log, metrics } = deps;
  const subs = [
    serveActions(
      bus,
      "notifications",
      {
        [actions.notifications.unreadCount]: async (ctx) => ({ count: await unreadCount(db, ctx) }),
        [actions.notifications.read]: (ctx, data) => markRead(deps, ctx, NotificationRef.parse(data).notificationId),
        [actions.notifications.readAll]: (ctx) => markAllRead(deps, ctx),
        [actions.notifications.remove]: (ctx, data) => removeNotification(deps, ctx, NotificationRef.parse(data).notificationId),
        // The caller stores one for themself (socket `test:notification`).
        [actions.notifications.create]: (ctx, data) => notify(deps, ctx, NotificationInput.parse(data)),
      },
      log,
      metrics,
    ),
    serveHttpRelay(bus, "notifications", notificationRoutes(deps), log, metrics),
    await consumeJobEvents(deps),
  ];
  return {
    async stop() {
      for (const s of subs) s.unsubscribe();
    },
  };
}
