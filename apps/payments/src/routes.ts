import { z } from "zod";
import { createServiceApp, requireUser, valid, type Logger } from "@rt/service-kit";
import { MAX_WEBHOOK_BYTES, applyWebhook, getInvoice, type PaymentsDeps } from "./payments.ts";

const tooLarge = { error: { code: "VALIDATION", message: `body is larger than ${MAX_WEBHOOK_BYTES} bytes` } } as const;

export function paymentsRoutes(deps: PaymentsDeps & { log: Logger }) {
  const app = createServiceApp(deps.log);

  // No bearer: the provider proves itself with the signature over the exact bytes it sent.
  app.post("/api/payments/webhook", async (c) => {
    const declared = Number(c.req.header("content-length"));
    if (declared > MAX_WEBHOOK_BYTES) return c.json(tooLarge, 413);
    const raw = await c.req.text();
    if (Buffer.byteLength(raw, "utf8") > MAX_WEBHOOK_BYTES) return c.json(tooLarge, 413);
    return c.json(await applyWebhook(deps, raw, c.req.header("payment-signature")));
  });

  app.get("/api/payments/invoices/:invoiceId", valid("param", z.object({ invoiceId: z.string().min(1).max(128) })), async (c) => {
    const ctx = requireUser(c);
    return c.json(await getInvoice(deps, ctx, c.req.valid("param").invoiceId));
  });

  return app;
}
