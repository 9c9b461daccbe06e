import { createHash } from "node:crypto";
import { and, eq, ne, sql } from "drizzle-orm";
import type { z } from "zod";
import { AppError, PaymentWebhook, type WebhookReceipt, type Invoice, type PaymentData, type PaymentUpdate, type SvcContext } from "@rt/contracts";
import type { Bus } from "@rt/bus";
import type { Database } from "@rt/db";
import { outboxDelivery, type Outbox, type PlatformConfig, type Tx } from "@rt/service-kit";
import { invoices, processedWebhookEvents } from "./schema.ts";
import { verifyWebhookSignature } from "./signature.ts";
import { shouldApply } from "./invoice-status.ts";

export interface PaymentsDeps {
  bus: Bus;
  db: Database;
  config: PlatformConfig;
  /** `payment_update` is stored with the invoice's change and delivered after the commit. */
  outbox: Outbox;
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

export type WebhookResult = z.infer<typeof WebhookReceipt>;

/** One delivery id per provider event (hashed: envelope ids are at most 200 characters, event ids too). */
const updateId = (eventId: string) => `payment:${createHash("sha256").update(eventId).digest("base64url")}`;

/**
 * A payment provider's webhook: signature first (on the raw text), then the body. Under a lock on
 * the invoice id, one transaction decides the event once (its id is recorded with the outcome,
 * whatever tenant a copy names) and moves the invoice only forward (`shouldApply`); only an applied
 * event is published, its `payment_update` stored in that transaction (outbox). A duplicate sends
 * that update if the attempt that stored it died before sending it. An event naming another
 * tenant's invoice is refused and records nothing.
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
  const created = event.created === undefined ? undefined : new Date(event.created * 1000);
  const now = new Date();

  const status = await deps.outbox.transaction(async (tx) => {
    const outcome = await decide(tx);
    if (outcome.status !== "applied") return { result: outcome.status, messages: [] };
    const update: PaymentUpdate = { type: "payment_update", data: paymentData(outcome.row), timestamp: now.toISOString() };
    return { result: outcome.status, messages: [outboxDelivery({ id: updateId(event.id), tenantId, target: { kind: "payments" }, event: "payment_update", data: update })] };
  });
  if (status === "duplicate") {
    await deps.outbox.sendPending([updateId(event.id)]);
    return { received: true, status: "duplicate", duplicate: true };
  }
  return { received: true, status };

  async function decide(tx: Tx) {
    // Serializes every event of one invoice id (any tenant): the checks below cannot race.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`payments.invoice:${data.invoiceId}`}))`);
    const [seen] = await tx.select({ id: processedWebhookEvents.eventId }).from(processedWebhookEvents).where(eq(processedWebhookEvents.eventId, event.id));
    if (seen) return { status: "duplicate" as const };
    const [foreign] = await tx
      .select({ tenantId: invoices.tenantId })
      .from(invoices)
      .where(and(eq(invoices.invoiceId, data.invoiceId), ne(invoices.tenantId, tenantId)))
      .limit(1);
    if (foreign) throw new AppError("CONFLICT", "the invoice belongs to another tenant");
    const [current] = await tx
      .select()
      .from(invoices)
      .where(and(eq(invoices.tenantId, tenantId), eq(invoices.invoiceId, data.invoiceId)));
    const apply = shouldApply(current, { status: data.status, created });
    const fresh = await tx
      .insert(processedWebhookEvents)
      .values({ eventId: event.id, tenantId, invoiceId: data.invoiceId, outcome: apply ? "applied" : "ignored", receivedAt: now })
      .onConflictDoNothing()
      .returning({ id: processedWebhookEvents.eventId });
    // The same id naming another invoice id took another lock and got here first.
    if (fresh.length === 0) return { status: "duplicate" as const };
    if (!apply) return { status: "ignored" as const };
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
        eventAt: created ?? null,
      })
      .onConflictDoUpdate({
        target: [invoices.tenantId, invoices.invoiceId],
        // An event that leaves out currency, owner or time keeps what an earlier one said.
        set: {
          status: sql`excluded.status`,
          amount: sql`excluded.amount`,
          currency: sql`coalesce(excluded.currency, ${invoices.currency})`,
          userId: sql`coalesce(excluded.user_id, ${invoices.userId})`,
          updatedAt: sql`excluded.updated_at`,
          eventAt: sql`coalesce(excluded.event_at, ${invoices.eventAt})`,
        },
      })
      .returning();
    return { status: "applied" as const, row: inv! };
  }
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
