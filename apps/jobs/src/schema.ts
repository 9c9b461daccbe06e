import { bigint, bigserial, index, pgSchema, text, timestamp } from "drizzle-orm/pg-core";
import { JobStatus } from "@rt/contracts";
import { outboxTable } from "@rt/db/outbox-table";

export const jobsSchema = pgSchema("jobs");

export const jobStatus = jobsSchema.enum("job_status", JobStatus.options as [JobStatus, ...JobStatus[]]);

// bigint ids: inputs accept any safe integer, which an int4 column would reject with a SQL error.
export const jobs = jobsSchema.table(
  "jobs",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    tenantId: text("tenant_id").notNull(),
    projectId: bigint("project_id", { mode: "number" }).notNull(),
    jobTypeId: bigint("job_type_id", { mode: "number" }).notNull(),
    subject: text("subject").notNull(),
    createdBy: text("created_by").notNull(),
    assigneeId: text("assignee_id"),
    status: jobStatus("status").notNull().default("NEW"),
    note: text("note"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("jobs_tenant_assignee_idx").on(t.tenantId, t.assigneeId)],
);

/** One row per status change (creation has no `from`), written in the same transaction as the change. */
export const jobStatusHistory = jobsSchema.table(
  "job_status_history",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    jobId: bigint("job_id", { mode: "number" })
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    tenantId: text("tenant_id").notNull(),
    from: jobStatus("from"),
    to: jobStatus("to").notNull(),
    by: text("by").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("job_status_history_job_idx").on(t.tenantId, t.jobId)],
);

export type JobRow = typeof jobs.$inferSelect;

/** Events and deliveries of a change, written in its transaction (see @rt/service-kit outbox). */
export const jobsOutbox = outboxTable(jobsSchema);
