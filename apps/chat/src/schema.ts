import { sql } from "drizzle-orm";
import { outboxRowsTable, outboxTable } from "@rt/db/outbox-table";
import { bigserial, boolean, index, integer, pgSchema, primaryKey, serial, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

export const chat = pgSchema("chat");

export const rooms = chat.table(
  "rooms",
  {
    id: serial("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    name: text("name").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("rooms_tenant_idx").on(t.tenantId, t.id)],
);

export const members = chat.table(
  "members",
  {
    tenantId: text("tenant_id").notNull(),
    roomId: integer("room_id")
      .notNull()
      .references(() => rooms.id, { onDelete: "cascade" }),
    userId: text("user_id").notNull(),
    joinedAt: timestamp("joined_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.roomId, t.userId] }),
    // "rooms I am in" lists by user within a tenant.
    index("members_tenant_user_idx").on(t.tenantId, t.userId),
  ],
);

export const messages = chat.table(
  "messages",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    tenantId: text("tenant_id").notNull(),
    roomId: integer("room_id")
      .notNull()
      .references(() => rooms.id, { onDelete: "cascade" }),
    senderId: text("sender_id").notNull(),
    senderName: text("sender_name").notNull(),
    content: text("content").notNull(),
    type: text("type").notNull().default("TEXT"),
    fileUrl: text("file_url"),
    clientMsgId: text("client_msg_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    edited: boolean("edited").notNull().default(false),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (t) => [
    // A retried send (same clientMsgId from the same sender in the same room) stores once.
    uniqueIndex("messages_client_msg_uq").on(t.tenantId, t.roomId, t.senderId, t.clientMsgId).where(sql`${t.clientMsgId} is not null`),
    index("messages_history_idx").on(t.tenantId, t.roomId, t.id.desc()),
  ],
);

/** message:edited and message:deleted deliveries (see @rt/service-kit outbox). */
export const chatOutbox = outboxTable(chat);
/** The messages whose message:new is not published yet, by id: written by the messages' own statement. */
export const chatOutboxRows = outboxRowsTable(chat);
