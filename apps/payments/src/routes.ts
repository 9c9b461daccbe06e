import { Invoice, InvoiceRef, PaymentWebhook, WebhookReceipt } from "@rt/contracts";
import { createServiceApp, requireUser, route, valid, type Logger } from "@rt/service-kit";
import { MAX_WEBHOOK_BYTES, applyWebhook, getInvoice, type PaymentsDeps } from "./payments.ts";

const tooLarge = { error: { code: "VALIDATION", message: `body is larger than ${MAX_WEBHOOK_BYTES} bytes` } } as const;

const webhookDoc = route({
  summary: "Payment provider webhook: applied once per event id, then payment_update to subscribers",
  tags: ["payments"],
  auth: ["paymentSignature"],
  body: PaymentWebhook,
  responses: { 200: WebhookReceipt },
  description: "Signed over the exact body bytes; over 64 KiB is refused with 413. A bad or stale signature is 400 and nothing is stored.",
});
const invoiceDoc = route({
  summary: "Stored status of an invoice (admins: any of the tenant; others: their own)",
  tags: ["payments"],
  auth: ["bearer"],
  responses: { 200: Invoice },
  errors: ["NOT_FOUND"],
});

export function paymentsRoutes(deps: PaymentsDeps & { log: Logger }) {
  const app = createServiceApp(deps.log);

  // No bearer: the provider proves itself with the signature over the exact bytes it sent.
  app.post("/api/payments/webhook", webhookDoc, async (c) => {
    const declared = Number(c.req.header("content-length"));
    if (declared > MAX_WEBHOOK_BYTES) return c.json(tooLarge, 413);
    const raw = await c.req.text();
    if (Buffer.byteLength(raw, "utf8") > MAX_WEBHOOK_BYTES) return c.json(tooLarge, 413);
    return c.json(await applyWebhook(deps, raw, c.req.header("payment-signature")));
  });

  app.get("/api/payments/invoices/:invoiceId", invoiceDoc, valid("param", InvoiceRef), async (c) => {
    const ctx = requireUser(c);
    return c.json(await getInvoice(deps, ctx, c.req.valid("param").invoiceId));
  });

  return app;
}
