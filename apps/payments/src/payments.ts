import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { AppError, PaymentWebhook, type Invoice, type PaymentData, type PaymentUpdate, type SvcContext } from "@rt/contracts";
import type { Bus } from "@rt/bus";
import type { Database } from "@rt/db";
import { deliver, type PlatformConfig } from "@rt/service-kit";
import { invoices, processedWebhookEvents } from "./schema.ts";
import { verifyWebhookSignature } from "./signature.ts";

export interface PaymentsDeps {
  bus: Bus;
  db: Database;
  config: PlatformConfig;
}

/** Webhook bodies over 64 KiB are refused (413). */
export const MAX_WEBHOOK_BYTES = 64 * 1024;

type InvoiceRow = typeof invoices.$inferSelect;
type InvoiceView = z.infer<typeof Invoice>;

function paymentData(row: InvoiceRow): PaymentData {
  return {
    invoiceId: row.invoiceId,
    status: row.status,
    amount: row.amount,
    ...(row.currency !== null ? { currency: row.currency } : {}),
    ...(row.userId !== null ? { userId: row.userId } : {}),
  };
}

export type WebhookResult = { received: true; duplicate?: true };

/**
 * A payment provider's webhook: signature first (on the raw text), then the body; the event id
 * and the invoice change commit together, so a retried event is applied and published once.
 */
export async function applyWebhook(deps: PaymentsDeps, rawBody: string, signature: string | undefined): Promise<WebhookResult> {
  verifyWebhookSignature({ header: signature, rawBody, secret: deps.config.PAYMENTS_WEBHOOK_SECRET });
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    throw new AppError("VALIDATION", "body is not valid JSON");
  }
  const event = PaymentWebhook.parse(json);
  const { tenantId, data } = event;
  const now = new Date();

  const row = await deps.db.db.transaction(async (tx) => {
    const fresh = await tx
      .insert(processedWebhookEvents)
      .values({ tenantId, eventId: event.id, receivedAt: now })
      .onConflictDoNothing()
      .returning();
    if (fresh.length === 0) return null;
    const [inv] = await tx
      .insert(invoices)
      .values({
        tenantId,
        invoiceId: data.invoiceId,
        status: data.status,
        amount: data.amount,
        currency: data.currency ?? null,
        userId: data.userId ?? null,
        updatedAt: now,
      })
      .onConflictDoUpdate({
        target: [invoices.tenantId, invoices.invoiceId],
        // An event that leaves out currency or owner keeps what an earlier one said.
        set: {
          status: sql`excluded.status`,
          amount: sql`excluded.amount`,
          currency: sql`coalesce(excluded.currency, ${invoices.currency})`,
          userId: sql`coalesce(excluded.user_id, ${invoices.userId})`,
          updatedAt: sql`excluded.updated_at`,
        },
      })
      .returning();
    return inv!;
  });
  if (!row) return { received: true, duplicate: true };

  const update: PaymentUpdate = { type: "payment_update", data: paymentData(row), timestamp: now.toISOString() };
  deliver(deps.bus, { tenantId, target: { kind: "payments" }, event: "payment_update", data: update });
  return { received: true };
}

/** Admins (PAYMENTS_ADMIN_ROLES) read any invoice of their tenant; others only their own. */
export async function getInvoice(deps: PaymentsDeps, ctx: SvcContext, invoiceId: string): Promise<InvoiceView> {
  const [row] = await deps.db.db
    .select()
    .from(invoices)
    .where(and(eq(invoices.tenantId, ctx.tenantId), eq(invoices.invoiceId, invoiceId)));
  const admin = ctx.roles.some((r) => deps.config.PAYMENTS_ADMIN_ROLES.includes(r));
  // Someone else's invoice is answered exactly like a missing one: its existence is not revealed.
  if (!row || (!admin && row.userId !== ctx.userId)) throw new AppError("NOT_FOUND", "invoice not found");
  return { ...paymentData(row), updatedAt: row.updatedAt.toISOString() };
}
