import { expect, test } from "bun:test";
import { uniqueTenant, servicesForFile } from "@rt/testkit";
import { paymentsService } from "./service.ts";
import { signWebhook } from "./sign-webhook.ts";

// Its own file: on NATS, a harness with a secret in the same file would share the queue group.
const h = servicesForFile([paymentsService]);

test("without PAYMENTS_WEBHOOK_SECRET every webhook is refused and nothing is stored", async () => {
  const t = uniqueTenant();
  const raw = JSON.stringify({ id: "evt_1", type: "invoice.paid", tenantId: t, data: { invoiceId: "inv_1", status: "paid", amount: 1 } });
  for (const secret of ["whsec_test_0123456789abcdef", ""]) {
    const r = await h.http("POST", "/api/payments/webhook", { body: raw, headers: { "payment-signature": signWebhook(secret, raw) } });
    expect(r.status).toBe(400);
    expect(r.json.error).toEqual({ code: "VALIDATION", message: "webhooks are not configured" });
  }
  await Bun.sleep(h.bus.kind === "nats" ? 150 : 20);
  expect(h.deliveries.filter((d) => d.envelope.tenantId === t)).toHaveLength(0);
  const inv = await h.http("GET", "/api/payments/invoices/inv_1", { ctx: { tenantId: t, userId: "boss", roles: ["admin"] } });
  expect(inv.status).toBe(404);
});
