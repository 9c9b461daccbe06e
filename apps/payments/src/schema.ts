import type { PaymentData } from "@rt/contracts";
import { doublePrecision, pgSchema, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

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
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.invoiceId] })],
);

/** Every webhook event applied, so a provider's retry of the same event id changes nothing. */
export const processedWebhookEvents = paymentsSchema.table(
  "processed_webhook_events",
  {
    tenantId: text("tenant_id").notNull(),
    eventId: text("event_id").notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.eventId] })],
);
