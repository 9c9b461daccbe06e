import { sql } from "drizzle-orm";
import { bigint, bigserial, index, jsonb, text, timestamp, type PgSchema } from "drizzle-orm/pg-core";

/**
 * A service's transactional outbox, in its own pg schema: one row per domain event or delivery,
 * written in the transaction of the change it announces. `id` is the event's msgId or the
 * envelope's id, which consumers dedupe by; `sent_at` is set once the publish was handed over.
 */
export function outboxTable(schema: PgSchema) {
  return schema.table(
    "outbox",
    {
      seq: bigserial("seq", { mode: "number" }).primaryKey(),
      id: text("id").notNull().unique(),
      // `row`: written by replicas from before outbox_rows (see outboxRowsTable), during a rolling upgrade.
      kind: text("kind", { enum: ["event", "deliver", "row"] }).notNull(),
      subject: text("subject").notNull(),
      payload: jsonb("payload").notNull(),
      createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
      sentAt: timestamp("sent_at", { withTimezone: true }),
    },
    // The relay reads only the unsent rows: a partial index keeps that read small.
    (t) => [index("outbox_unsent_idx").on(t.seq).where(sql`${t.sentAt} is null`)],
  );
}

export type OutboxTable = ReturnType<typeof outboxTable>;

/**
 * The unsent keys of rows a service announces from its own table, written by SQL in the change's
 * statement (chat's group insert of messages): the row itself is the payload, so an entry is a
 * key and a time (half the WAL of a full outbox row, measured). Published entries are deleted.
 */
export function outboxRowsTable(schema: PgSchema) {
  return schema.table("outbox_rows", {
    id: bigint("id", { mode: "number" }).primaryKey(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  });
}

export type OutboxRowsTable = ReturnType<typeof outboxRowsTable>;
