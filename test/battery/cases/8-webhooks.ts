/**
 * Case 8, payment webhooks and the publish API: replayed, re-signed, tampered, stale, malformed and
 * oversized webhooks, and publishes without a key, with a wrong key, with reserved event names or
 * bad envelopes, are all refused with a typed error; nothing is stored twice and nothing refused
 * reaches a socket. Runs the platform in this process to read its database.
 */
import { realtime } from "@rt/sdk";
import { RESERVED_EVENTS } from "@rt/contracts";
import { TEST_API_KEY, TEST_WEBHOOK_SECRET, waitFor, type ClientSocket } from "@rt/testkit";
import { signWebhook } from "../../../apps/payments/src/sign-webhook.ts";
import { figure, note, runCase, sleep } from "../lib/common.ts";
import { changed, query, snapshot } from "../lib/db.ts";
import { inProcessPlatform } from "../lib/platform.ts";

await runCase("8-webhooks", 150, async (c) => {
  const p = await inProcessPlatform();
  try {
    const db = p.platform.db;
    const T = p.tenant;
    const now = () => Math.floor(Date.now() / 1000);
    const admin: ClientSocket = await p.connect({ sub: "boss", roles: ["admin"] });
    c.check(((await admin.timeout(5000).emitWithAck("subscribe:payments")) as { ok: boolean }).ok, "admin subscribes to payments");
    const updates: unknown[] = [];
    admin.on("payment_update", (u) => updates.push(u));
    const received: Array<{ event: string; data: unknown }> = [];
    const target = await p.connect({ sub: "target", roles: ["admin"] });
    target.onAny((event: string, data: unknown) => {
      if (!["notification:unread-count", "user:online", "user:offline"].includes(event)) received.push({ event, data });
    });

    const hook = (body: string, headers: Record<string, string>) =>
      p.fetch("/api/payments/webhook", { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
    const event = (id: string, data: Record<string, unknown> = {}) =>
      JSON.stringify({
        id: `${T}-${id}`,
        type: "invoice.paid",
        tenantId: T,
        data: { invoiceId: `${T}-inv-1`, status: "paid", amount: 42, currency: "EUR", userId: "target", ...data },
      });

    // The control: a valid event is applied once and published once.
    const body1 = event("evt-1");
    const sig1 = signWebhook(TEST_WEBHOOK_SECRET, body1);
    const first = await hook(body1, { "payment-signature": sig1 });
    c.check(first.status === 200 && !((await first.json()) as { duplicate?: boolean }).duplicate, `a valid webhook is applied (${first.status})`);
    await waitFor(admin, "payment_update", { timeoutMs: 3000 }).catch(() => null);
    const before = await snapshot(db, [T], ["payments.invoices", "payments.processed_webhook_events"]);

    let tried = 0;
    let refused = 0;
    const wrong: string[] = [];
    /** A request that must be refused with `status` and a typed error body (docs/PROTOCOL.md#acks-and-errors), changing nothing. */
    const refuse = async (what: string, res: Response, status: number, bare = false) => {
      tried++;
      const body = (await res.json().catch(() => null)) as { error?: { code?: string } } | null;
      // `bare`: over the server's 1 MiB hard cap Bun itself answers 413, before any handler runs.
      if (res.status === status && (typeof body?.error?.code === "string" || (bare && body === null))) refused++;
      else wrong.push(`${what}: ${res.status} ${JSON.stringify(body)?.slice(0, 120)}`);
    };
    const duplicates: string[] = [];
    const dup = async (what: string, res: Response) => {
      tried++;
      const body = (await res.json().catch(() => null)) as { duplicate?: boolean } | null;
      if (res.status === 200 && body?.duplicate === true) refused++;
      else duplicates.push(`${what}: ${res.status} ${JSON.stringify(body)}`);
    };

    await dup("exact replay", await hook(body1, { "payment-signature": sig1 }));
    await dup("provider retry, re-signed with a fresh t", await hook(body1, { "payment-signature": signWebhook(TEST_WEBHOOK_SECRET, body1, now() + 1) }));
    const sameIdNewAmount = event("evt-1", { amount: 1, status: "refunded" });
    await dup("same event id, other content, validly signed", await hook(sameIdNewAmount, { "payment-signature": signWebhook(TEST_WEBHOOK_SECRET, sameIdNewAmount) }));
    const otherTenant = body1.replace(`"tenantId":"${T}"`, `"tenantId":"${T}-other"`);
    await dup("same event id under another tenant, validly signed", await hook(otherTenant, { "payment-signature": signWebhook(TEST_WEBHOOK_SECRET, otherTenant) }));
    const e2 = event("evt-2", { amount: 0 });
    await refuse("re-signed by an attacker (wrong secret)", await hook(e2, { "payment-signature": signWebhook("attacker-secret-0123456789", e2) }), 400);
    await refuse("tampered body, original signature", await hook(body1.replace('"amount":42', '"amount":0'), { "payment-signature": sig1 }), 400);
    await refuse("tampered tenant, original signature", await hook(body1.replace(T, "other-tenant"), { "payment-signature": sig1 }), 400);
    await refuse("stale (t - 301 s)", await hook(e2, { "payment-signature": signWebhook(TEST_WEBHOOK_SECRET, e2, now() - 301) }), 400);
    await refuse("from the future (t + 301 s)", await hook(e2, { "payment-signature": signWebhook(TEST_WEBHOOK_SECRET, e2, now() + 301) }), 400);
    await refuse("t = 0", await hook(e2, { "payment-signature": signWebhook(TEST_WEBHOOK_SECRET, e2, 0) }), 400);
    await refuse("no signature", await hook(e2, {}), 400);
    await refuse("empty signature", await hook(e2, { "payment-signature": "" }), 400);
    const good2 = signWebhook(TEST_WEBHOOK_SECRET, e2);
    const [tPart, v1Part] = good2.split(",");
    await refuse("v0 scheme only", await hook(e2, { "payment-signature": `${tPart},v0=${v1Part!.slice(3)}` }), 400);
    await refuse("t twice", await hook(e2, { "payment-signature": `${tPart},${tPart},${v1Part}` }), 400);
    await refuse("v1 not hex", await hook(e2, { "payment-signature": `${tPart},v1=${"z".repeat(64)}` }), 400);
    await refuse("nine v1 values", await hook(e2, { "payment-signature": [tPart, ...Array(9).fill(v1Part)].join(",") }), 400);
    await refuse("header over 2 KiB", await hook(e2, { "payment-signature": `${good2},${"x=1,".repeat(600)}` }), 400);
    await refuse("t with a sign", await hook(e2, { "payment-signature": `t=-${now()},${v1Part}` }), 400);
    const notJson = "{not json";
    await refuse("validly signed, not JSON", await hook(notJson, { "payment-signature": signWebhook(TEST_WEBHOOK_SECRET, notJson) }), 400);
    const badSchema = JSON.stringify({ id: `${T}-evt-3`, type: "x", tenantId: T, data: { invoiceId: `${T}-inv-1`, status: "stolen", amount: -5 } });
    await refuse("validly signed, not the contract", await hook(badSchema, { "payment-signature": signWebhook(TEST_WEBHOOK_SECRET, badSchema) }), 400);
    const protoBody = `{"id":"${T}-evt-4","type":"x","tenantId":"${T}","__proto__":{"data":{"invoiceId":"${T}-inv-1","status":"paid","amount":1}}}`;
    await refuse("validly signed, data only under __proto__", await hook(protoBody, { "payment-signature": signWebhook(TEST_WEBHOOK_SECRET, protoBody) }), 400);
    const big = event("evt-5", { invoiceId: `${T}-inv-big`, pad: "x".repeat(70 * 1024) });
    await refuse("validly signed, 70 KiB", await hook(big, { "payment-signature": signWebhook(TEST_WEBHOOK_SECRET, big) }), 413);
    const huge = event("evt-6", { pad: "x".repeat(2 * 1024 * 1024) });
    await refuse("2 MiB body", await hook(huge, { "payment-signature": signWebhook(TEST_WEBHOOK_SECRET, huge) }), 413, true);
    const streamed = new ReadableStream({
      start(ctl) {
        ctl.enqueue(new TextEncoder().encode(big));
        ctl.close();
      },
    });
    await refuse(
      "70 KiB without content-length (streamed)",
      await fetch(`${p.url}/api/payments/webhook`, { method: "POST", body: streamed, headers: { "payment-signature": signWebhook(TEST_WEBHOOK_SECRET, big) } }),
      413,
    );

    // A provider's burst of the same new event: applied once.
    const e7 = event("evt-7", { invoiceId: `${T}-inv-7`, amount: 7 });
    const sig7 = signWebhook(TEST_WEBHOOK_SECRET, e7);
    const burst = await Promise.all(
      Array.from({ length: 20 }, () => hook(e7, { "payment-signature": sig7 }).then((r) => r.json() as Promise<{ received?: boolean; duplicate?: boolean }>)),
    );
    const applied = burst.filter((b) => b.received && !b.duplicate).length;
    c.check(applied === 1 && burst.every((b) => b.received), `20 concurrent copies of one event: applied ${applied} time(s)`);
    await sleep(300);

    const after = await snapshot(db, [T], ["payments.invoices", "payments.processed_webhook_events"]);
    const [{ n: events } = { n: 0 }] = await query<{ n: number }>(db, `select count(*)::int as n from payments.processed_webhook_events where tenant_id = '${T}'`);
    const [inv1] = await query<{ amount: number; status: string }>(db, `select amount, status from payments.invoices where tenant_id = '${T}' and invoice_id = '${T}-inv-1'`);
    c.check(Number(events) === 2, `processed events stored: ${events} (evt-1 and evt-7, once each)`);
    c.check(inv1?.amount === 42 && inv1.status === "paid", `inv-1 unchanged by replays (${JSON.stringify(inv1)})`);
    c.check(after["payments.invoices"]!.rows === before["payments.invoices"]!.rows + 1, "only inv-7 was added");
    c.check(updates.length === 2, `payment_update delivered once per applied event (got ${updates.length})`);
    c.check(wrong.length === 0, `webhooks not refused as expected: ${wrong.join("; ")}`);
    c.check(duplicates.length === 0, `replays not answered as duplicates: ${duplicates.join("; ")}`);
    figure(`webhooks refused_or_duplicate=${refused}/${tried} applied_once=${applied === 1} events_stored=${events} updates=${updates.length}`);

    // Publish API and the other API-key routes.
    const env = { tenantId: T, target: { kind: "user", id: "target" }, event: "probe", data: { n: 0 } };
    const publish = (body: unknown, headers: Record<string, string> = {}) =>
      p.fetch("/api/publish", { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": "application/json", ...headers } });
    const dbBefore = await snapshot(db, [T]);
    let pTried = 0;
    let pRefused = 0;
    const pWrong: string[] = [];
    const pRefuse = async (what: string, res: Response, status: number, bare = false) => {
      pTried++;
      const body = (await res.json().catch(() => null)) as { error?: { code?: string } } | null;
      if (res.status === status && (typeof body?.error?.code === "string" || (bare && body === null))) pRefused++;
      else pWrong.push(`${what}: ${res.status} ${JSON.stringify(body)?.slice(0, 120)}`);
    };
    const wrongKeys: Record<string, Record<string, string>> = {
      "no key": {},
      "empty key": { "x-api-key": "" },
      "wrong key, same length": { "x-api-key": TEST_API_KEY.replace(/.$/, (ch) => (ch === "x" ? "y" : "x")) },
      "key prefix": { "x-api-key": TEST_API_KEY.slice(0, -1) },
      "key plus a char": { "x-api-key": `${TEST_API_KEY}x` },
      "key upper-cased": { "x-api-key": TEST_API_KEY.toUpperCase() },
      "key as a bearer": { authorization: `Bearer ${TEST_API_KEY}` },
      "a user token instead": { authorization: `Bearer ${await p.token({ sub: "boss", roles: ["admin"] })}` },
    };
    for (const [what, h] of Object.entries(wrongKeys)) {
      await pRefuse(`publish, ${what}`, await publish({ ...env, data: { n: what } }, h), 401);
      await pRefuse(
        `notification, ${what}`,
        await p.fetch("/api/notifications", { method: "POST", json: { tenantId: T, userId: "target", title: "phish", message: what }, headers: h }),
        401,
      );
      if (Object.keys(h).some((k) => k === "x-api-key")) {
        await pRefuse(
          `artisan request, ${what}`,
          await p.fetch("/api/approvals/artisan-requests", { method: "POST", json: { tenantId: T, contact_id: 1, nom_complet: "X", email: "x@example.com" }, headers: h }),
          401,
        );
      }
    }
    await pRefuse("publish, key in the query", await p.fetch(`/api/publish?apiKey=${TEST_API_KEY}&x-api-key=${TEST_API_KEY}`, { method: "POST", json: env }), 401);
    const key = { "x-api-key": TEST_API_KEY };
    for (const name of RESERVED_EVENTS) await pRefuse(`publish reserved "${name}"`, await publish({ ...env, event: name }, key), 400);
    const badEnvelopes: Record<string, unknown> = {
      "target kind planet": { ...env, target: { kind: "planet", id: "x" } },
      "user target without id": { ...env, target: { kind: "user" } },
      "no tenant": { target: env.target, event: "probe", data: {} },
      "empty event": { ...env, event: "" },
      "event of 101 chars": { ...env, event: "e".repeat(101) },
      "data-change to a user": { ...env, event: "data-change", data: { action: "CREATE", data: {} } },
      "data-change, entityType mismatch": { ...env, target: { kind: "sync", id: "Rental" }, event: "data-change", data: { entityType: "Booking", action: "CREATE", data: {} } },
      "an array": [env],
      "not JSON": "{oops",
      "envelope under __proto__": `{"__proto__":${JSON.stringify(env)}}`,
    };
    for (const [what, body] of Object.entries(badEnvelopes)) await pRefuse(`publish ${what}`, await publish(body, key), 400);
    await pRefuse("publish 2 MiB", await publish({ ...env, data: "x".repeat(2 * 1024 * 1024) }, key), 413, true);
    // The same refusals on the bus path the SDK uses (rt.publish, served by the gateway).
    const sdk = realtime(p.platform.bus, T);
    let sdkRefused = 0;
    for (const name of [...RESERVED_EVENTS, ""]) {
      pTried++;
      const r = await sdk.publish({ kind: "user", id: "target" }, name, { n: name }).then(
        () => "accepted",
        (e: { code?: string }) => e.code,
      );
      if (r === "VALIDATION") {
        pRefused++;
        sdkRefused++;
      } else pWrong.push(`sdk publish "${name}": ${r}`);
    }
    // The control: the right key delivers exactly once.
    const ok = await publish({ ...env, data: { n: "control" } }, key);
    c.check(ok.status === 202, `control publish accepted (${ok.status})`);
    await sleep(500);
    const probes = received.filter((r) => r.event === "probe");
    c.check(
      probes.length === 1 && (probes[0]!.data as { n?: string }).n === "control",
      `only the control publish reached the socket (${JSON.stringify(received.map((r) => r.event))})`,
    );
    c.check(!received.some((r) => (RESERVED_EVENTS as readonly string[]).includes(r.event) || r.event === "notification:new"), "no refused publish or notification arrived");
    const dbAfter = await snapshot(db, [T]);
    c.check(changed(dbBefore, dbAfter).length === 0, `refused API-key calls changed nothing: ${changed(dbBefore, dbAfter).join(", ")}`);
    c.check(pWrong.length === 0, `publish-side refusals wrong: ${pWrong.join("; ")}`);
    figure(
      `publish refused=${pRefused}/${pTried} (keys, reserved names x ${RESERVED_EVENTS.length}, bad envelopes, sdk=${sdkRefused}) delivered_refused=0 db_changed=${changed(dbBefore, dbAfter).length}`,
    );
  } finally {
    await p.stop();
    note("platform stopped");
  }
});
