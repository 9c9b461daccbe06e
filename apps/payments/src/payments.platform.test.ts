import { afterAll, beforeAll, expect, test } from "bun:test";
import { TEST_WEBHOOK_SECRET, emitAck, expectNone, recorder, startPlatform, waitFor, type TestPlatform } from "@rt/testkit";
import { signWebhook } from "./sign-webhook.ts";

// Socket level: a signed webhook through the gateway reaches the right payment subscribers.
let p: TestPlatform;
beforeAll(async () => {
  p = await startPlatform();
}, 30_000); // every service's migrations on a fresh embedded database
afterAll(() => p?.stop());

function webhook(raw: string, signature = signWebhook(TEST_WEBHOOK_SECRET, raw)) {
  return p.fetch("/api/payments/webhook", { method: "POST", body: raw, headers: { "content-type": "application/json", "Payment-Signature": signature } });
}
/** Event and invoice ids are global at the provider: each run's tenant names its own. */
const inv = (name: string) => `${p.tenant}-${name}`;
const event = (id: string, data: Record<string, unknown>) =>
  JSON.stringify({ id: inv(id), type: "invoice.updated", tenantId: p.tenant, data: { invoiceId: inv("inv_42"), status: "paid", amount: 99.5, currency: "EUR", ...data } });

test("admins who subscribed get every update, other subscribers only their own; replays deliver once", async () => {
  const [admin, owner, other, idleAdmin] = await Promise.all([
    p.connect({ sub: "boss", roles: ["admin"] }),
    p.connect({ sub: "u1" }),
    p.connect({ sub: "u2" }),
    p.connect({ sub: "boss2", roles: ["admin"] }),
  ]);
  for (const s of [admin!, owner!, other!]) expect((await emitAck(s, "subscribe:payments")).ok).toBe(true);
  const adminLog = recorder(admin!);
  const ownerLog = recorder(owner!);

  const seen = Promise.all([waitFor(admin!, "payment_update"), waitFor(owner!, "payment_update")]);
  const quiet = Promise.all([expectNone(other!, "payment_update", 600), expectNone(idleAdmin!, "payment_update", 600)]);
  const raw = event("evt_a", { userId: "u1" });
  const res = await webhook(raw);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ received: true, status: "applied" });
  for (const d of await seen)
    expect(d).toEqual({ type: "payment_update", data: { invoiceId: inv("inv_42"), status: "paid", amount: 99.5, currency: "EUR", userId: "u1" }, timestamp: expect.any(String) });
  await quiet;

  // The provider retries: answered as a duplicate, nobody hears it again.
  expect(await (await webhook(raw)).json()).toEqual({ received: true, status: "duplicate", duplicate: true });

  // An update without an owner reaches admins only.
  const adminOnly = waitFor(admin!, "payment_update", { filter: (d: any) => d.data.invoiceId === inv("inv_x") });
  const notOwner = expectNone(owner!, "payment_update", 600);
  expect((await webhook(event("evt_b", { invoiceId: inv("inv_x") }))).status).toBe(200);
  await adminOnly;
  await notOwner;
  expect(adminLog.of("payment_update")).toHaveLength(2);
  expect(ownerLog.of("payment_update")).toHaveLength(1);

  // After unsubscribing, nothing more arrives.
  expect((await emitAck(owner!, "unsubscribe:payments")).ok).toBe(true);
  const gone = expectNone(owner!, "payment_update", 600);
  expect((await webhook(event("evt_c", { userId: "u1", status: "refunded" }))).status).toBe(200);
  await gone;

  const read = await p.fetch(`/api/payments/invoices/${inv("inv_42")}`, { token: await p.token({ sub: "u1" }) });
  expect(read.status).toBe(200);
  expect(await read.json()).toMatchObject({ invoiceId: inv("inv_42"), status: "refunded", userId: "u1" });
  expect((await p.fetch(`/api/payments/invoices/${inv("inv_42")}`, { token: await p.token({ sub: "u2" }) })).status).toBe(404);
});

test("a badly signed webhook through the gateway is 400 and reaches nobody", async () => {
  const admin = await p.connect({ sub: "boss", roles: ["admin"] });
  expect((await emitAck(admin, "subscribe:payments")).ok).toBe(true);
  const quiet = expectNone(admin, "payment_update", 600);
  const raw = event("evt_forged", { invoiceId: inv("inv_forged"), userId: "u1" });
  const res = await webhook(raw, signWebhook("not-the-secret-0123456789", raw));
  expect(res.status).toBe(400);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe("VALIDATION");
  const stale = await webhook(raw, signWebhook(TEST_WEBHOOK_SECRET, raw, Math.floor(Date.now() / 1000) - 3600));
  expect(stale.status).toBe(400);
  await quiet;
  const read = await p.fetch(`/api/payments/invoices/${inv("inv_forged")}`, { token: await p.token({ sub: "boss", roles: ["admin"] }) });
  expect(read.status).toBe(404);
});
