import { describe, expect, test } from "bun:test";
import { subjects } from "@rt/contracts";
import { uniqueTenant, servicesForFile } from "@rt/testkit";
import { paymentsService } from "./service.ts";
import { signWebhook } from "./sign-webhook.ts";

const SECRET = "whsec_test_0123456789abcdef";

const h = servicesForFile([paymentsService], { env: { PAYMENTS_WEBHOOK_SECRET: SECRET, PAYMENTS_ADMIN_ROLES: "admin,finance" } });

const nowS = () => Math.floor(Date.now() / 1000);
let seq = 0;
/** Provider invoice ids are global (an invoice has one tenant): each test tenant names its own. */
const inv = (tenantId: string, name = "inv_1") => `${tenantId}-${name}`;
function event(tenantId: string, data: Record<string, unknown>, id = `evt_${++seq}_${crypto.randomUUID()}`) {
  return { id, type: "invoice.updated", tenantId, data: { invoiceId: inv(tenantId), status: "paid", amount: 1000, ...data } };
}

/** POST a raw body as the gateway relays it: the exact string, with the given signature header. */
function post(raw: string, signature?: string) {
  return h.http("POST", "/api/payments/webhook", { body: raw, headers: signature === undefined ? {} : { "payment-signature": signature } });
}
const postSigned = (body: unknown, t?: number) => {
  const raw = JSON.stringify(body);
  return post(raw, signWebhook(SECRET, raw, t));
};

const admin = (tenantId: string) => ({ tenantId, userId: "boss", roles: ["admin"] });
const readInvoice = (ctx: { tenantId: string; userId: string; roles?: string[] }, invoiceId = inv(ctx.tenantId)) =>
  h.http("GET", `/api/payments/invoices/${encodeURIComponent(invoiceId)}`, { ctx });

const updatesOf = (tenantId: string) => h.deliveries.filter((d) => d.envelope.tenantId === tenantId && d.envelope.event === "payment_update");
async function waitForUpdates(tenantId: string, n: number, ms = 3000) {
  const until = Date.now() + ms;
  while (updatesOf(tenantId).length < n) {
    if (Date.now() > until) throw new Error(`expected ${n} payment_update deliveries, saw ${updatesOf(tenantId).length}`);
    await Bun.sleep(10);
  }
  return updatesOf(tenantId);
}
const settle = () => Bun.sleep(h.bus.kind === "nats" ? 150 : 20);

function expectError(r: { status: number; json: any }, status: number, code: string) {
  expect(r.status).toBe(status);
  expect(r.json.error.code).toBe(code);
  expect(r.json.error.message).not.toMatch(/\b(select|insert|update|relation|syntax|constraint)\b|payments\.|\n\s+at /i);
}

/** A rejected webhook leaves no invoice and no delivery behind. */
async function expectNothingStored(tenantId: string) {
  await settle();
  expectError(await readInvoice(admin(tenantId)), 404, "NOT_FOUND");
  expect(updatesOf(tenantId)).toHaveLength(0);
}

describe("payments webhook", () => {
  test("a signed event stores the invoice and publishes payment_update to the tenant's payment subscribers", async () => {
    const t = uniqueTenant();
    const r = await postSigned(event(t, { status: "paid", amount: 12.5, currency: "EUR", userId: "u1" }));
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ received: true, status: "applied" });

    const [d] = await waitForUpdates(t, 1);
    expect(d!.subject).toBe(subjects.deliver(t, "payments"));
    expect(d!.envelope.target).toEqual({ kind: "payments" });
    expect(d!.envelope.data).toMatchObject({
      type: "payment_update",
      data: { invoiceId: inv(t), status: "paid", amount: 12.5, currency: "EUR", userId: "u1" },
    });
    expect(Number.isNaN(Date.parse(d!.envelope.data.timestamp))).toBe(false);

    const invoice = await readInvoice(admin(t));
    expect(invoice.status).toBe(200);
    expect(invoice.json).toEqual({ invoiceId: inv(t), status: "paid", amount: 12.5, currency: "EUR", userId: "u1", updatedAt: d!.envelope.data.timestamp });
  });

  test("a later event updates the invoice and keeps fields it leaves out", async () => {
    const t = uniqueTenant();
    await postSigned(event(t, { status: "pending", amount: 50, currency: "USD", userId: "u1" }));
    const r = await postSigned(event(t, { status: "refunded", amount: 50 }));
    expect(r.status).toBe(200);
    const updates = await waitForUpdates(t, 2);
    expect(updates[1]!.envelope.data.data).toEqual({ invoiceId: inv(t), status: "refunded", amount: 50, currency: "USD", userId: "u1" });
    expect((await readInvoice(admin(t))).json).toMatchObject({ status: "refunded", currency: "USD", userId: "u1" });
  });

  test("a replayed event id is applied and published once", async () => {
    const t = uniqueTenant();
    const id = `evt_replay_${crypto.randomUUID()}`;
    const first = event(t, { status: "paid", amount: 10, userId: "u1" }, id);
    expect((await postSigned(first)).json).toEqual({ received: true, status: "applied" });
    // The same id again (even with other content, and concurrently) changes nothing.
    const again = event(t, { status: "refunded", amount: 99, userId: "u1" }, id);
    const replays = await Promise.all([postSigned(first), postSigned(again), postSigned(again)]);
    for (const r of replays) {
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ received: true, status: "duplicate", duplicate: true });
    }
    await waitForUpdates(t, 1);
    await settle();
    expect(updatesOf(t)).toHaveLength(1);
    expect((await readInvoice(admin(t))).json).toMatchObject({ status: "paid", amount: 10 });

    // Event ids are global: the same id under another tenant is a duplicate too, and stores nothing there.
    const other = uniqueTenant();
    expect((await postSigned(event(other, {}, id))).json).toEqual({ received: true, status: "duplicate", duplicate: true });
    expect((await readInvoice(admin(other))).status).toBe(404);
  });

  test("concurrent distinct events for one new invoice: one creates it, the same status again is ignored", async () => {
    const t = uniqueTenant();
    const rs = await Promise.all([1, 2, 3, 4].map((n) => postSigned(event(t, { amount: n }))));
    expect(rs.map((r) => r.json.status).sort()).toEqual(["applied", "ignored", "ignored", "ignored"]);
    await waitForUpdates(t, 1);
    await settle();
    expect(updatesOf(t)).toHaveLength(1);
  });

  test("missing, bad or foreign signatures are 400 and store nothing", async () => {
    const t = uniqueTenant();
    const raw = JSON.stringify(event(t, {}));
    const good = signWebhook(SECRET, raw);
    const v1 = good.split("v1=")[1]!;
    const cases: Array<string | undefined> = [
      undefined,
      "",
      "garbage",
      `t=${nowS()}`,
      `v1=${v1}`,
      `t=${nowS()},v1=nothex`,
      `t=abc,v1=${v1}`,
      `t=${nowS()},v1=${"0".repeat(64)}`,
      signWebhook("another-secret-0123456789", raw),
      signWebhook(SECRET, `${raw} `), // signed some other body
      `t=${nowS() + 1},v1=${v1}`, // the signature covers t
      good.toUpperCase(),
    ];
    for (const sig of cases) expectError(await post(raw, sig), 400, "VALIDATION");
    // Body changed after signing: one byte is enough.
    expectError(await post(raw.replace("1000", "1001"), good), 400, "VALIDATION");
    await expectNothingStored(t);
  });

  test("several v1 values (secret rotation): any one matching is enough", async () => {
    const t = uniqueTenant();
    const raw = JSON.stringify(event(t, {}));
    const ts = nowS();
    const sig = signWebhook(SECRET, raw, ts);
    const header = `t=${ts},v1=${"ab".repeat(32)},${sig.split(",")[1]},v0=legacy`;
    const r = await post(raw, header);
    expect(r.status).toBe(200);
    await waitForUpdates(t, 1);
  });

  test("stale and future timestamps beyond 300 s are refused; within it they pass", async () => {
    const t = uniqueTenant();
    for (const ts of [nowS() - 301, nowS() + 301, nowS() - 86_400, 0]) expectError(await postSigned(event(t, {}), ts), 400, "VALIDATION");
    await expectNothingStored(t);
    expect((await postSigned(event(t, {}), nowS() - 280)).status).toBe(200);
    expect((await postSigned(event(t, {}), nowS() + 280)).status).toBe(200);
  });

  test("oversized bodies are refused before anything else", async () => {
    const t = uniqueTenant();
    const body = event(t, { userId: "u1" }) as Record<string, unknown>;
    body.padding = "x".repeat(64 * 1024);
    const raw = JSON.stringify(body);
    for (const sig of [signWebhook(SECRET, raw), undefined]) {
      const r = await post(raw, sig);
      expect(r.status).toBe(413);
      expect(r.json.error.code).toBe("VALIDATION");
    }
    await expectNothingStored(t);
  });

  test("malformed JSON and bad payloads (signed) are 400 VALIDATION", async () => {
    const t = uniqueTenant();
    const sign = (raw: string) => post(raw, signWebhook(SECRET, raw));
    for (const raw of ["{not json", "", "null", "[]", `"x"`]) expectError(await sign(raw), 400, "VALIDATION");
    const bad = [
      { ...event(t, {}), id: "" },
      { ...event(t, {}), tenantId: undefined },
      event(t, { status: "stolen" }),
      event(t, { amount: -1 }),
      event(t, { amount: "10" }),
      event(t, { invoiceId: "" }),
      event(t, { currency: "EURO" }),
      { id: "e", type: "x", tenantId: t },
    ];
    for (const b of bad) expectError(await postSigned(b), 400, "VALIDATION");
    await expectNothingStored(t);
  });
});

describe("GET /api/payments/invoices/:invoiceId", () => {
  test("admins read any invoice of their tenant, owners their own, everyone else NOT_FOUND", async () => {
    const t = uniqueTenant();
    const [seven, anon] = [inv(t, "inv/7 x"), inv(t, "inv_anon")];
    await postSigned(event(t, { invoiceId: seven, userId: "owner", amount: 7 }));
    await postSigned(event(t, { invoiceId: anon, amount: 8 }));

    const own = await readInvoice({ tenantId: t, userId: "owner" }, seven);
    expect(own.status).toBe(200);
    expect(own.json).toMatchObject({ invoiceId: seven, userId: "owner", amount: 7, status: "paid" });
    expect(own.json.currency).toBeUndefined();

    expect((await readInvoice({ tenantId: t, userId: "x", roles: ["finance"] }, seven)).status).toBe(200);
    expect((await readInvoice(admin(t), anon)).status).toBe(200);

    expectError(await readInvoice({ tenantId: t, userId: "someone", roles: ["user"] }, seven), 404, "NOT_FOUND");
    expectError(await readInvoice({ tenantId: t, userId: "owner" }, anon), 404, "NOT_FOUND");
    expectError(await readInvoice(admin(uniqueTenant()), seven), 404, "NOT_FOUND");
    expectError(await readInvoice({ tenantId: uniqueTenant(), userId: "owner" }, seven), 404, "NOT_FOUND");
    expectError(await readInvoice(admin(t), "missing"), 404, "NOT_FOUND");
    expectError(await readInvoice(admin(t), "x".repeat(129)), 400, "VALIDATION");

    const anonymous = await h.http("GET", `/api/payments/invoices/${anon}`);
    expectError(anonymous, 401, "UNAUTHENTICATED");
  });
});
