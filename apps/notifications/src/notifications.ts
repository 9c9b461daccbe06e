import { and, count, desc, eq, isNull, lt, sql, type Placeholder, type SQL } from "drizzle-orm";
import { AppError, toUser, type Notification, type NotificationInput, type ServerEventName, type ServerEventPayload, type SvcContext } from "@rt/contracts";
import type { Bus } from "@rt/bus";
import { preparedOnce, type Database } from "@rt/db";
import { deliver, nowIso, outboxDelivery, type Outbox } from "@rt/service-kit";
import { notifications, type NotificationRow } from "./schema.ts";

export interface NotificationsDeps {
  bus: Bus;
  db: Database;
  /** `notification:new` is stored with the notification and pushed after the commit. */
  outbox: Outbox;
}

/** Whose notifications: the verified caller, or the user a trusted publisher names. */
export type Owner = Pick<SvcContext, "tenantId" | "userId">;

export function toNotification(r: NotificationRow): Notification {
  return {
    id: r.id,
    userId: r.userId,
    type: r.type,
    priority: r.priority,
    title: r.title,
    message: r.message,
    data: r.data ?? null,
    actionUrl: r.actionUrl,
    readAt: r.readAt ? r.readAt.toISOString() : null,
    createdAt: r.createdAt.toISOString(),
  };
}

/** The owner's rows; values, or placeholders of a prepared statement. */
const ownedBy = (o: { tenantId: string | Placeholder; userId: string | Placeholder }) => and(eq(notifications.tenantId, o.tenantId), eq(notifications.userId, o.userId));

// Prepared: every connect asks for it (the badge a new socket shows).
const unreadCountQuery = preparedOnce((db) =>
  db
    .select({ n: count() })
    .from(notifications)
    .where(and(ownedBy({ tenantId: sql.placeholder("tenantId"), userId: sql.placeholder("userId") }), isNull(notifications.readAt)))
    .prepare("notifications_unread_count"),
);

export async function unreadCount(db: Database, o: Owner): Promise<number> {
  const [r] = await unreadCountQuery(db).execute({ tenantId: o.tenantId, userId: o.userId });
  return r?.n ?? 0;
}

/** One event to all the owner's sockets. */
const tell = <E extends ServerEventName>(bus: Bus, o: Owner, event: E, data: ServerEventPayload<E>) =>
  deliver(bus, { tenantId: o.tenantId, target: toUser(o.userId), event, data });

/** Every change ends with the fresh count, so all the user's sockets show the same badge. */
async function sendCount({ bus, db }: NotificationsDeps, o: Owner): Promise<number> {
  const n = await unreadCount(db, o);
  tell(bus, o, "notification:unread-count", { count: n, timestamp: new Date().toISOString() });
  return n;
}

/** The push of the notification made from an event: one id per event, so gateways show it once. */
const pushId = (sourceEventId: string) => `notification:${sourceEventId}`;

/**
 * Store a notification and send it to all the owner's sockets, then the unread count. The one
 * path for the socket action, the API-key route and the job-event consumer. With a
 * `sourceEventId` seen before, nothing is stored again and the result is null; its push, stored
 * with it, is sent now if the attempt that stored it died before sending it.
 */
export async function notify(deps: NotificationsDeps, o: Owner, input: NotificationInput, sourceEventId?: string): Promise<Notification | null> {
  const n = await deps.outbox.transaction(async (tx) => {
    const [row] = await tx
      .insert(notifications)
      .values({
        tenantId: o.tenantId,
        userId: o.userId,
        type: input.type,
        priority: input.priority,
        title: input.title,
        message: input.message,
        data: input.data ?? null,
        actionUrl: input.actionUrl ?? null,
        sourceEventId: sourceEventId ?? null,
      })
      .onConflictDoNothing({ target: notifications.sourceEventId })
      .returning();
    if (!row) return { result: null, messages: [] };
    const n = toNotification(row);
    const push = outboxDelivery({ tenantId: o.tenantId, target: toUser(o.userId), event: "notification:new", data: n, ...(sourceEventId ? { id: pushId(sourceEventId) } : {}) });
    return { result: n, messages: [push] };
  });
  if (!n) {
    if (sourceEventId && (await deps.outbox.sendPending([pushId(sourceEventId)]))) await sendCount(deps, o);
    return null;
  }
  await sendCount(deps, o);
  return n;
}

export async function listNotifications(
  { db }: NotificationsDeps,
  o: Owner,
  q: { unread?: "true" | "false"; before?: number; limit: number },
): Promise<{ notifications: Notification[]; nextBefore: number | null }> {
  const where: SQL[] = [ownedBy(o)!];
  if (q.unread === "true") where.push(isNull(notifications.readAt));
  if (q.before !== undefined) where.push(lt(notifications.id, q.before));
  const rows = await db.db
    .select()
    .from(notifications)
    .where(and(...where))
    .orderBy(desc(notifications.id))
    .limit(q.limit);
  const last = rows.length === q.limit ? rows[rows.length - 1] : undefined;
  return { notifications: rows.map(toNotification), nextBefore: last ? last.id : null };
}

/** Marks one of the owner's notifications read; anyone else's is NOT_FOUND. */
export async function markRead(deps: NotificationsDeps, o: Owner, notificationId: number): Promise<Notification> {
  const [row] = await deps.db.db
    .update(notifications)
    .set({ readAt: new Date() })
    .where(and(eq(notifications.id, notificationId), ownedBy(o)))
    .returning();
  if (!row) throw new AppError("NOT_FOUND", "notification not found");
  tell(deps.bus, o, "notification:marked-read", { notificationIds: [row.id], timestamp: nowIso() });
  await sendCount(deps, o);
  return toNotification(row);
}

export async function markAllRead(deps: NotificationsDeps, o: Owner): Promise<{ notificationIds: number[]; count: number }> {
  const rows = await deps.db.db
    .update(notifications)
    .set({ readAt: new Date() })
    .where(and(ownedBy(o), isNull(notifications.readAt)))
    .returning({ id: notifications.id });
  const notificationIds = rows.map((r) => r.id).sort((a, b) => a - b);
  tell(deps.bus, o, "notification:marked-read", { notificationIds, all: true, timestamp: nowIso() });
  return { notificationIds, count: await sendCount(deps, o) };
}

export async function removeNotification(deps: NotificationsDeps, o: Owner, notificationId: number): Promise<{ notificationId: number }> {
  const rows = await deps.db.db
    .delete(notifications)
    .where(and(eq(notifications.id, notificationId), ownedBy(o)))
    .returning({ id: notifications.id });
  if (rows.length === 0) throw new AppError("NOT_FOUND", "notification not found");
  tell(deps.bus, o, "notification:deleted", { notificationId, timestamp: nowIso() });
  await sendCount(deps, o);
  return { notificationId };
}
