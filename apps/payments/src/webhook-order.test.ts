import { expect, test } from "bun:test";
import type { PaymentData } from "@rt/contracts";
import { servicesForFile, uniqueTenant } from "@rt/testkit";
import { paymentsService } from "./service.ts";
import { signWebhook } from "./sign-webhook.ts";

// The attack of issue 15 (items 4, 5): a provider's events arrive shuffled, retried, and re-sent
// under another tenant. Whatever the order, each invoice must end in its newest state, each event
// id apply once, and nothing that was not applied may reach a subscriber.
const SECRET = "whsec_test_storm_0123456789";

const h = servicesForFile([paymentsService], { env: { PAYMENTS_WEBHOOK_SECRET: SECRET } });

type Status = PaymentData["status"];
/** Legal histories a provider may report for one invoice, oldest first. */
const PATHS: Status[][] = [["pending", "paid", "refunded"], ["pending", "paid"], ["pending", "failed"], ["pending", "canceled"], ["pending"], ["paid", "refunded"]];

interface Sent {
  id: string;
  tenantId: string;
  invoiceId: string;
  status: Status;
  created: number;
}

function post(body: unknown) {
  const raw = JSON.stringify(body);
  return h.http("POST", "/api/payments/webhook", { body: raw, headers: { "payment-signature": signWebhook(SECRET, raw) } });
}
const body = (e: Sent) => ({ id: e.id, type: "invoice.updated", tenantId: e.tenantId, created: e.created, data: { invoiceId: e.invoiceId, status: e.status, amount: 10 } });

function shuffle<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

test("a shuffled storm with retries and cross-tenant copies ends in each invoice's newest state, each event applied once", async () => {
  const tenants = [uniqueTenant("storm"), uniqueTenant("storm"), uniqueTenant("storm")];
  const newest = new Map<string, Status>();
  const events: Sent[] = [];
  const t0 = Math.floor(Date.now() / 1000) - 3600;
  for (const [ti, tenantId] of tenants.entries()) {
    for (let i = 0; i < 12; i++) {
      const invoiceId = `${tenantId}-inv-${i}`;
      const path = PATHS[(i + ti) % PATHS.length]!;
      path.forEach((status, step) => void events.push({ id: `evt_${crypto.randomUUID()}`, tenantId, invoiceId, status, created: t0 + step * 60 }));
      newest.set(`${tenantId}|${invoiceId}`, path.at(-1)!);
    }
  }
  // Every event 1-3 times; a third of them once more under another tenant (same id), replayed at a
  // random point after the original was answered (the first event naming an invoice fixes its tenant).
  const sends: Sent[] = [];
  const copies: Sent[] = [];
  for (const [k, e] of events.entries()) {
    for (let n = 0; n < 1 + (k % 3); n++) sends.push(e);
    if (k % 3 === 0) copies.push({ ...e, tenantId: tenants[(tenants.indexOf(e.tenantId) + 1) % tenants.length]! });
  }
  shuffle(sends);

  const answered = new Set<string>();
  const answers: Array<{ sent: Sent; status: number; json: any }> = [];
  while (sends.length + copies.length > 0) {
    const ready = shuffle([...sends.map((e, i) => ({ e, from: sends, i })), ...copies.flatMap((e, i) => (answered.has(e.id) ? [{ e, from: copies, i }] : []))]);
    const batch = ready.slice(0, 8).sort((x, y) => y.i - x.i);
    for (const b of batch) b.from.splice(b.i, 1);
    const rs = await Promise.all(batch.map((b) => post(body(b.e))));
    rs.forEach((r, j) => {
      answers.push({ sent: batch[j]!.e, status: r.status, json: r.json });
      answered.add(batch[j]!.e.id);
    });
  }
  await Bun.sleep(h.bus.kind === "nats" ? 300 : 50);

  // Final states: the newest event of each invoice's history, in the invoice's own tenant only.
  const finals = new Map<string, string | undefined>();
  for (const [key] of newest) {
    const [tenantId, invoiceId] = key.split("|") as [string, string];
    const r = await h.http("GET", `/api/payments/invoices/${invoiceId}`, { ctx: { tenantId, userId: "boss", roles: ["admin"] } });
    finals.set(key, r.json?.status);
  }
  expect(Object.fromEntries(finals)).toEqual(Object.fromEntries(newest));
  for (const e of events) {
    for (const other of tenants.filter((t) => t !== e.tenantId)) {
      const r = await h.http("GET", `/api/payments/invoices/${e.invoiceId}`, { ctx: { tenantId: other, userId: "boss", roles: ["admin"] } });
      expect(r.status).toBe(404);
    }
  }

  // Every answer is a 200 receipt; a copy under another tenant is a duplicate, never applied.
  for (const a of answers) {
    expect(a.status).toBe(200);
    expect(["applied", "ignored", "duplicate"]).toContain(a.json.status);
  }
  const applied = answers.filter((a) => a.json.status === "applied");
  const appliedIds = applied.map((a) => a.sent.id);
  expect(new Set(appliedIds).size).toBe(appliedIds.length);
  for (const a of applied) expect(events.find((e) => e.id === a.sent.id)!.tenantId).toBe(a.sent.tenantId);
  // Every distinct event was answered applied or ignored exactly once; the rest were duplicates.
  const decided = answers.filter((a) => a.json.status !== "duplicate").map((a) => a.sent.id);
  expect(decided.sort()).toEqual(events.map((e) => e.id).sort());

  // One payment_update per applied event and none for the others; per invoice, only moves forward.
  // Counted by envelope id, as gateways deliver them: the outbox may publish a row twice (its relay
  // runs while a slow mark-sent is pending, README "Transactional outbox"), never with another id.
  const updates = [...new Map(h.deliveries.filter((d) => tenants.includes(d.envelope.tenantId) && d.envelope.event === "payment_update").map((d) => [d.envelope.id, d])).values()];
  expect(updates.length).toBe(applied.length);
  const rank: Record<Status, number> = { pending: 0, paid: 1, failed: 1, canceled: 1, refunded: 2 };
  const seen = new Map<string, Status[]>();
  for (const u of updates) {
    const key = `${u.envelope.tenantId}|${u.envelope.data.data.invoiceId}`;
    expect(newest.has(key)).toBe(true);
    seen.set(key, [...(seen.get(key) ?? []), u.envelope.data.data.status]);
  }
  for (const [key, statuses] of seen) {
    for (let i = 1; i < statuses.length; i++) expect(rank[statuses[i]!]).toBeGreaterThan(rank[statuses[i - 1]!]);
    expect(statuses.at(-1)).toBe(newest.get(key)!);
  }
  console.log(
    `storm: ${answers.length} posts, ${events.length} events, applied ${applied.length}, ignored ${answers.filter((a) => a.json.status === "ignored").length}, duplicate ${answers.filter((a) => a.json.status === "duplicate").length}, updates ${updates.length}`,
  );
}, 120_000);

test("an event naming another tenant's invoice is refused and changes nothing", async () => {
  const [a, b] = [uniqueTenant(), uniqueTenant()];
  const invoiceId = `${a}-inv`;
  const first = await post({ id: `evt_${crypto.randomUUID()}`, type: "invoice.paid", tenantId: a, data: { invoiceId, status: "paid", amount: 5 } });
  expect(first.json.status).toBe("applied");
  const foreign = await post({ id: `evt_${crypto.randomUUID()}`, type: "invoice.refunded", tenantId: b, data: { invoiceId, status: "refunded", amount: 5 } });
  expect(foreign.status).toBe(409);
  expect(foreign.json.error.code).toBe("CONFLICT");
  const read = await h.http("GET", `/api/payments/invoices/${invoiceId}`, { ctx: { tenantId: a, userId: "boss", roles: ["admin"] } });
  expect(read.json.status).toBe("paid");
  expect((await h.http("GET", `/api/payments/invoices/${invoiceId}`, { ctx: { tenantId: b, userId: "boss", roles: ["admin"] } })).status).toBe(404);
  expect(h.deliveries.filter((d) => d.envelope.tenantId === b)).toHaveLength(0);
});

test("between two legal events the provider's `created` time decides: an older one is ignored", async () => {
  const t = uniqueTenant();
  const invoiceId = `${t}-inv`;
  const at = Math.floor(Date.now() / 1000);
  // pending (newer, t) arrives first; a pending→paid from before it is stale although legal.
  expect((await post({ id: `evt_${crypto.randomUUID()}`, type: "x", tenantId: t, created: at, data: { invoiceId, status: "pending", amount: 5 } })).json.status).toBe("applied");
  expect((await post({ id: `evt_${crypto.randomUUID()}`, type: "x", tenantId: t, created: at - 10, data: { invoiceId, status: "paid", amount: 5 } })).json.status).toBe("ignored");
  expect((await post({ id: `evt_${crypto.randomUUID()}`, type: "x", tenantId: t, created: at + 10, data: { invoiceId, status: "paid", amount: 5 } })).json.status).toBe("applied");
  // Nothing leaves a final state, however new.
  expect((await post({ id: `evt_${crypto.randomUUID()}`, type: "x", tenantId: t, created: at + 20, data: { invoiceId, status: "failed", amount: 5 } })).json.status).toBe(
    "ignored",
  );
  await Bun.sleep(h.bus.kind === "nats" ? 200 : 20);
  expect(h.deliveries.filter((d) => d.envelope.tenantId === t).map((d) => d.envelope.data.data.status)).toEqual(["pending", "paid"]);
});
