import { bigint, bigserial, index, pgSchema, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

export const callsSchema = pgSchema("calls");

export const callTypeEnum = callsSchema.enum("call_type", ["AUDIO", "VIDEO"]);
export const callStatusEnum = callsSchema.enum("call_status", ["RINGING", "ONGOING", "ENDED"]);

export const calls = callsSchema.table(
  "calls",
  {
    // bigint ids: any id a client may send (up to 2^53) is a valid query, never an overflow error.
    id: bigserial("id", { mode: "number" }).primaryKey(),
    tenantId: text("tenant_id").notNull(),
    roomId: bigint("room_id", { mode: "number" }).notNull(),
    callType: callTypeEnum("call_type").notNull(),
    status: callStatusEnum("status").notNull().default("RINGING"),
    initiatedBy: text("initiated_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    answeredAt: timestamp("answered_at", { withTimezone: true }),
    endedAt: timestamp("ended_at", { withTimezone: true }),
  },
  (t) => [index("calls_tenant_room_idx").on(t.tenantId, t.roomId)],
);

export const callParticipants = callsSchema.table(
  "call_participants",
  {
    callId: bigint("call_id", { mode: "number" })
      .notNull()
      .references(() => calls.id, { onDelete: "cascade" }),
    tenantId: text("tenant_id").notNull(),
    userId: text("user_id").notNull(),
    joinedAt: timestamp("joined_at", { withTimezone: true }).notNull().defaultNow(),
    leftAt: timestamp("left_at", { withTimezone: true }),
  },
  // One row per user and call: a second answer by the same user is refused, not duplicated.
  (t) => [primaryKey({ columns: [t.callId, t.userId] })],
);
