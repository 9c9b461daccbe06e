import { crashAfterCommit } from "@rt/service-kit";
import { afterEach, describe, expect, test } from "bun:test";
import { startServices, uniqueTenant } from "@rt/testkit";
import { paymentsService } from "./service.ts";
import { signWebhook } from "./sign-webhook.ts";

const SECRET = "whsec_test_0123456789abcdef";

afterEach(() => {
  crashAfterCommit.point = null;
});

describe("payments outbox", () => {
  test("a crash between the webhook's commit and its payment_update: the provider's retry (a duplicate) still gets it delivered, once", async () => {
    const h = await startServices([paymentsService], { env: { PAYMENTS_WEBHOOK_SECRET: SECRET } });
    try {
      const t = uniqueTenant();
      const raw = JSON.stringify({ id: `evt_${crypto.randomUUID()}`, type: "invoice.updated", tenantId: t, data: { invoiceId: `${t}-inv`, status: "paid", amount: 1000 } });
      const post = () => h.http("POST", "/api/payments/webhook", { body: raw, headers: { "payment-signature": signWebhook(SECRET, raw) } });
      const updates = () => h.deliveries.filter((d) => d.envelope.tenantId === t && d.envelope.event === "payment_update");

      crashAfterCommit.point = "payments";
      expect((await post()).status).toBe(500);
      crashAfterCommit.point = null;
      // The provider retries the event it saw fail: already decided, so answered as a duplicate.
      const retry = await post();
      expect(retry.json).toMatchObject({ received: true, duplicate: true });

      const until = Date.now() + 15_000;
      while (updates().length < 1 && Date.now() < until) await Bun.sleep(20);
      await Bun.sleep(2500);
      expect(updates().map((d) => d.envelope.data.data.status)).toEqual(["paid"]);
    } finally {
      await h.stop();
    }
  }, 60_000);
});
