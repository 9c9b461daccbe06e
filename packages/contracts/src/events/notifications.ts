import { z } from "zod";
import { EntityId, UserId } from "../ids.ts";
import { Iso } from "./common.ts";

export const Priority = z.enum(["LOW", "NORMAL", "HIGH", "URGENT"]);
export type Priority = z.infer<typeof Priority>;

export const Notification = z.object({
  id: z.number(),
  userId: z.string(),
  type: z.string(),
  priority: Priority,
  title: z.string(),
  message: z.string(),
  data: z.unknown().nullable(),
  actionUrl: z.string().nullable(),
  readAt: Iso.nullable(),
  createdAt: Iso,
});
export type Notification = z.infer<typeof Notification>;

/** What a caller supplies to store a notification (socket, SDK, REST). */
export const NotificationInput = z.object({
  type: z.string().min(1).max(100).default("info"),
  priority: Priority.default("NORMAL"),
  title: z.string().min(1).max(500),
  message: z.string().max(5000).default(""),
  data: z.unknown().optional(),
  actionUrl: z.string().max(2048).optional(),
});
export type NotificationInput = z.infer<typeof NotificationInput>;

/** API-key `POST /api/notifications` and the SDK: the target user and tenant are named. */
export const NotificationCreateBody = NotificationInput.extend({ tenantId: z.string().min(1).max(128), userId: UserId });
export type NotificationCreateBody = z.infer<typeof NotificationCreateBody>;

export const NotificationRef = z.object({ notificationId: EntityId });
export type NotificationRef = z.infer<typeof NotificationRef>;
/** Replies of the REST routes: a history page, read-all and delete. */
export const NotificationPage = z.object({ notifications: z.array(Notification), nextBefore: z.number().nullable() });
export const ReadAllResult = z.object({ notificationIds: z.array(z.number()), count: z.number().int().nonnegative() });
export const NotificationRemoved = z.object({ notificationId: z.number() });

export const UnreadCount = z.object({ count: z.number().int().nonnegative() });
export type UnreadCount = z.infer<typeof UnreadCount>;
/** The `notification:unread-count` event: the count, stamped like every server event. */
export const UnreadCountEvent = UnreadCount.extend({ timestamp: Iso });
export type UnreadCountEvent = z.infer<typeof UnreadCountEvent>;
export const MarkedRead = z.object({ notificationIds: z.array(z.number()), all: z.boolean().optional(), timestamp: Iso });
export const NotificationDeleted = z.object({ notificationId: z.number(), timestamp: Iso });

export const NotificationListQuery = z.object({
  unread: z.enum(["true", "false"]).optional(),
  before: EntityId.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
