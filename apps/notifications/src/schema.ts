import { sql } from "drizzle-orm";
import { bigserial, index, jsonb, pgSchema, text, timestamp } from "drizzle-orm/pg-core";
import { ArtisanRequestStatus, Priority } from "@rt/contracts";
import { outboxTable } from "@rt/db/outbox-table";

type ArtisanStatus = (typeof ArtisanRequestStatus.options)[number];

export const notificationsSchema = pgSchema("notifications");

export const priority = notificationsSchema.enum("priority", Priority.options as [Priority, ...Priority[]]);

// bigint ids: inputs accept any safe integer, which an int4 column would reject with a SQL error.
export const notifications = notificationsSchema.table(
  "notifications",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    tenantId: text("tenant_id").notNull(),
    userId: text("user_id").notNull(),
    type: text("type").notNull(),
    priority: priority("priority").notNull().default("NORMAL"),
    title: text("title").notNull(),
    message: text("message").notNull(),
    data: jsonb("data"),
    actionUrl: text("action_url"),
    readAt: timestamp("read_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /** The domain event a notification was made from: a redelivered event stores nothing new. */
    sourceEventId: text("source_event_id").unique(),
  },
  (t) => [
    // The unread count runs on every connect and every change: keep it an index-only lookup.
    index("notifications_unread_idx").on(t.tenantId, t.userId).where(sql`${t.readAt} is null`),
    index("notifications_user_idx").on(t.tenantId, t.userId, t.id),
  ],
);

export const artisanStatus = notificationsSchema.enum("artisan_request_status", ArtisanRequestStatus.options as [ArtisanStatus, ...ArtisanStatus[]]);

/** Seed 004 approval requests; seed field names kept as columns. */
export const artisanRequests = notificationsSchema.table(
  "artisan_requests",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    tenantId: text("tenant_id").notNull(),
    contactId: text("contact_id").notNull(),
    nomComplet: text("nom_complet").notNull(),
    email: text("email").notNull(),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    status: artisanStatus("status").notNull().default("pending"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    decidedBy: text("decided_by"),
  },
  (t) => [index("artisan_requests_status_idx").on(t.tenantId, t.status, t.id)],
);

export type NotificationRow = typeof notifications.$inferSelect;
export type ArtisanRequestRow = typeof artisanRequests.$inferSelect;

/** Pushes of stored notifications, written in their transaction (see @rt/service-kit outbox). */
export const notificationsOutbox = outboxTable(notificationsSchema);
