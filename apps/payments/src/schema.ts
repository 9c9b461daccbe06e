import type { PaymentData, WebhookOutcome } from "@rt/contracts";
import { doublePrecision, index, pgSchema, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { outboxTable } from "@rt/db/outbox-table";

export const paymentsSchema = pgSchema("payments");

export const invoices = paymentsSchema.table(
  "invoices",
  {
    tenantId: text("tenant_id").notNull(),
    invoiceId: text("invoice_id").notNull(),
    status: text("status").$type<PaymentData["status"]>().notNull(),
    amount: doublePrecision("amount").notNull(),
    currency: text("currency"),
    userId: text("user_id"),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    /** Provider time (`created`) of the last applied event: older events are ignored. */
    eventAt: timestamp("event_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.invoiceId] }), index("invoices_invoice_id_idx").on(t.invoiceId)],
);

/**
 * Every webhook event decided (applied or ignored), keyed by the provider's event id alone: a retry
 * of the same id, under any tenant, changes nothing.
 */
export const processedWebhookEvents = paymentsSchema.table("processed_webhook_events", {
  eventId: text("event_id").primaryKey(),
  tenantId: text("tenant_id").notNull(),
  invoiceId: text("invoice_id"),
  outcome: text("outcome").$type<Exclude<WebhookOutcome, "duplicate">>().notNull().default("applied"),
  receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
});

/** `payment_update` deliveries, written in the webhook's transaction (see @rt/service-kit outbox). */
export const paymentsOutbox = outboxTable(paymentsSchema);
