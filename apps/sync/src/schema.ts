import { bigint, index, jsonb, pgSchema, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

export const syncSchema = pgSchema("sync");

/** Every data-change the platform numbered, per tenant and entity type, kept SYNC_RETENTION. */
export const changes = syncSchema.table(
  "changes",
  {
    tenantId: text("tenant_id").notNull(),
    entityType: text("entity_type").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    /** The change as delivered (DataChange), returned as is. */
    change: jsonb("change").notNull(),
    storedAt: timestamp("stored_at", { withTimezone: true }).notNull().defaultNow(),
  },
  // One row per seq: a repeated store of the same publish is a no-op.
  (t) => [primaryKey({ columns: [t.tenantId, t.entityType, t.seq] }), index("changes_stored_at_idx").on(t.storedAt)],
);

/** Per tenant and type: the highest seq stored and the highest pruned (for `complete`). */
export const heads = syncSchema.table(
  "heads",
  {
    tenantId: text("tenant_id").notNull(),
    entityType: text("entity_type").notNull(),
    latestSeq: bigint("latest_seq", { mode: "number" }).notNull().default(0),
    prunedThrough: bigint("pruned_through", { mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.entityType] })],
);
