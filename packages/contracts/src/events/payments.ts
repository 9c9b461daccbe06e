import { z } from "zod";
import { Iso } from "./common.ts";

export const PaymentStatus = z.enum(["pending", "paid", "failed", "refunded", "canceled"]);
export const PaymentData = z.object({
  invoiceId: z.string().min(1).max(128),
  status: PaymentStatus,
  amount: z.number().nonnegative(),
  currency: z.string().min(3).max(3).optional(),
  userId: z.string().max(128).optional(),
});
export type PaymentData = z.infer<typeof PaymentData>;

export const PaymentUpdate = z.object({ type: z.literal("payment_update"), data: PaymentData, timestamp: Iso });
export type PaymentUpdate = z.infer<typeof PaymentUpdate>;

export const PaymentWebhook = z.object({
  /** The provider's event id: applied once, whatever tenant a copy names. */
  id: z.string().min(1).max(200),
  type: z.string().min(1).max(100),
  tenantId: z.string().min(1).max(128),
  /** When the provider created the event (unix seconds): an event older than the last applied one is ignored. */
  created: z.number().int().nonnegative().max(1e11).optional(),
  data: PaymentData,
});
export type PaymentWebhook = z.infer<typeof PaymentWebhook>;

export const Invoice = PaymentData.extend({ updatedAt: Iso });
/** Path parameter of `GET /api/payments/invoices/:invoiceId`. */
export const InvoiceRef = z.object({ invoiceId: z.string().min(1).max(128) });
/**
 * The webhook's 200 answer. `applied`: the invoice moved and subscribers were told; `ignored`: not a
 * legal move forward (or older than the last applied event), recorded, nothing emitted;
 * `duplicate`: this event id was decided before (then also `duplicate: true`, as before).
 */
export const WebhookOutcome = z.enum(["applied", "ignored", "duplicate"]);
export type WebhookOutcome = z.infer<typeof WebhookOutcome>;
export const WebhookReceipt = z.object({ received: z.literal(true), status: WebhookOutcome, duplicate: z.literal(true).optional() });
