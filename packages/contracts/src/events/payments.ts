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
  id: z.string().min(1).max(200),
  type: z.string().min(1).max(100),
  tenantId: z.string().min(1).max(128),
  data: PaymentData,
});
export type PaymentWebhook = z.infer<typeof PaymentWebhook>;

export const Invoice = PaymentData.extend({ updatedAt: Iso });
/** Path parameter of `GET /api/payments/invoices/:invoiceId`. */
export const InvoiceRef = z.object({ invoiceId: z.string().min(1).max(128) });
/** The webhook's 200 answer; `duplicate` when the event id was applied before. */
export const WebhookReceipt = z.object({ received: z.literal(true), duplicate: z.literal(true).optional() });
