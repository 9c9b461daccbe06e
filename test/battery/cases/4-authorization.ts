/**
 * Case 4, authorization inside one tenant: every event and REST route that names an id, tried by a
 * user who may not touch it (non-member room, someone else's message or notification, a job not
 * theirs, approvals without pdg, payments without admin), answers FORBIDDEN or NOT_FOUND, nothing
 * changes in the database (row fingerprints before/after) and nothing reaches the owner's sockets.
 */
import { TEST_API_KEY, TEST_WEBHOOK_SECRET, type ClientSocket } from "@rt/testkit";
import { signWebhook } from "../../../apps/payments/src/sign-webhook.ts";
import { figure, note, runCase, sleep } from "../lib/common.ts";
import { changed, snapshot, totalRows } from "../lib/db.ts";
import { inProcessPlatform } from "../lib/platform.ts";

type Ack = { ok: boolean; data?: any; error?: { code: string; message: string } };

await runCase("4-authorization", 150, async (c) => {
  const p = await inProcessPlatform({ RATE_LIMIT_DEFAULT: "10000", RATE_LIMIT_MESSAGE: "10000", RATE_LIMIT_TYPING: "10000" });
  try {
    const T = p.tenant;
    const db = p.platform.db;
    const emit = (s: ClientSocket, event: string, data?: unknown) => s.timeout(5000).emitWithAck(event, data) as Promise<Ack>;
    const tokens = { alice: await p.token({ sub: "alice", roles: ["pdg", "admin"] }), bob: await p.token({ sub: "bob" }), mallory: await p.token({ sub: "mallory" }) };
    const alice = await p.connect({ sub: "alice", roles: ["pdg", "admin"] });
    const bob = await p.connect({ sub: "bob" });
    const mallory = await p.connect({ sub: "mallory" });

    // The owner's world: a room with bob, a message, a call, a job assigned to bob, a notification,
    // an artisan request, an invoice.
    const room = (await (await p.fetch("/api/chat/rooms", { method: "POST", token: tokens.alice, json: { name: "private", memberIds: ["bob"] } })).json()) as { id: number };
    for (const s of [alice, bob]) c.check((await emit(s, "join_room", { roomId: room.id })).ok, "members join");
    const msg = await emit(alice, "message:send", { roomId: room.id, content: "secret" });
    const call = await emit(alice, "call:initiated", { roomId: room.id, callType: "VIDEO" });
    const job = await emit(alice, "test:create-job", { projectId: 1, jobTypeId: 1, subject: "alice's job" });
    c.check((await emit(alice, "test:assign-job", { jobId: job.data.id, assigneeId: "bob" })).ok, "alice assigns her job to bob");
    const notif = await emit(alice, "test:notification", { title: "for alice only", message: "x" });
    const ar = (await (
      await p.fetch("/api/approvals/artisan-requests", {
        method: "POST",
        headers: { "x-api-key": TEST_API_KEY },
        json: { tenantId: T, contact_id: 9, nom_complet: "Art Isan", email: "a@example.com" },
      })
    ).json()) as { id: number };
    const wh = JSON.stringify({ id: `${T}-evt-a`, type: "invoice.paid", tenantId: T, data: { invoiceId: `${T}-inv-alice`, status: "paid", amount: 10, userId: "alice" } });
    c.check(
      (await p.fetch("/api/payments/webhook", { method: "POST", body: wh, headers: { "payment-signature": signWebhook(TEST_WEBHOOK_SECRET, wh) } })).ok,
      "alice's invoice stored",
    );
    for (const r of [msg, call, job, notif]) c.check(r.ok, `setup: ${JSON.stringify(r).slice(0, 120)}`);
    const M = msg.data.id as number;
    const C = call.data.id as number;
    const J = job.data.id as number;
    const N = notif.data.id as number;
    const A = ar.id;
    await sleep(300);

    // What the owner's sockets hear from now on must be nothing.
    const heard: string[] = [];
    for (const s of [alice, bob]) s.onAny((event: string) => heard.push(event));
    c.check(((await emit(mallory, "subscribe:payments")) as Ack).ok, "mallory may subscribe to payments (own scope)");
    const malloryHeard: string[] = [];
    mallory.onAny((event: string, data: any) => malloryHeard.push(`${event}:${JSON.stringify(data).slice(0, 80)}`));
    const before = await snapshot(db, [T]);

    const results: Array<{ what: string; got: string; ok: boolean }> = [];
    const expectSocket = async (who: string, s: ClientSocket, event: string, data: unknown, codes: string[]) => {
      const a = await emit(s, event, data).catch((e) => ({ ok: false, error: { code: `no ack (${e})`, message: "" } }) as Ack);
      const got = a.ok ? "OK" : a.error!.code;
      results.push({ what: `${who} ${event} ${JSON.stringify(data)}`, got, ok: codes.includes(got) });
    };
    const expectRest = async (who: keyof typeof tokens, method: string, path: string, json: unknown, statuses: number[]) => {
      const r = await p.fetch(path, { method, token: tokens[who], ...(json === undefined ? {} : { json }) });
      const body = await r.text();
      // Never data: a refusal carries only the error body.
      const onlyError = /^\{"error":\{"code":"[A-Z_]+","message":"[^"]*"\}\}$/.test(body);
      results.push({ what: `${who} ${method} ${path}`, got: `${r.status}${onlyError ? "" : ` ${body.slice(0, 80)}`}`, ok: statuses.includes(r.status) && onlyError });
    };
    const F = ["FORBIDDEN"];
    const NF = ["NOT_FOUND"];
    for (const [who, s] of [["mallory", mallory]] as const) {
      for (const roomId of [room.id, String(room.id)]) {
        await expectSocket(who, s, "join_room", { roomId }, F);
        await expectSocket(who, s, "message:send", { roomId, content: "let me in" }, F);
        await expectSocket(who, s, "user:typing", { roomId }, F);
        await expectSocket(who, s, "user:stop_typing", { roomId }, F);
        await expectSocket(who, s, "call:initiated", { roomId, callType: "AUDIO" }, F);
      }
      await expectSocket(who, s, "message:send", { roomId: room.id, content: "spoof", senderId: "alice", userId: "alice" }, F);
      await expectSocket(who, s, "call:answered", { callId: C }, F);
      await expectSocket(who, s, "call:ended", { callId: C }, F);
      await expectSocket(who, s, "job:start", { jobId: J }, F);
      await expectSocket(who, s, "job:complete", { jobId: J, note: "done by mallory" }, F);
      await expectSocket(who, s, "test:assign-job", { jobId: J, assigneeId: "mallory" }, F);
      await expectSocket(who, s, "notification:read", { notificationId: N }, NF);
      await expectSocket(who, s, "notification:delete", { notificationId: N }, NF);
      await expectSocket(who, s, "join-user-room", { userId: "alice" }, F);
      await expectSocket(who, s, "join-user-room", "alice", F);
    }
    // Members who are not the owner.
    await expectSocket("bob", bob, "message:edit", { messageId: M, content: "edited by bob" }, F);
    await expectSocket("bob", bob, "message:delete", { messageId: M }, F);
    await expectSocket("mallory", mallory, "message:edit", { messageId: M, content: "edited by mallory" }, F);
    await expectSocket("mallory", mallory, "message:delete", { messageId: M }, F);
    await expectSocket("bob", bob, "test:assign-job", { jobId: J, assigneeId: "bob" }, F);
    await expectSocket("bob", bob, "notification:read", { notificationId: N }, NF);
    await expectSocket("bob", bob, "notification:delete", { notificationId: N }, NF);
    await expectSocket("alice", alice, "job:start", { jobId: J }, F); // the creator is not the assignee

    // REST routes that name an id.
    const R = room.id;
    await expectRest("mallory", "GET", `/api/chat/rooms/${R}`, undefined, [403]);
    await expectRest("mallory", "GET", `/api/chat/rooms/${R}/messages`, undefined, [403]);
    await expectRest("mallory", "GET", `/api/chat/rooms/${R}/messages?before=${M + 1}&limit=100`, undefined, [403]);
    await expectRest("mallory", "POST", `/api/chat/rooms/${R}/messages`, { content: "rest intrusion" }, [403]);
    await expectRest("mallory", "POST", `/shared/chat/rooms/${R}/messages`, { content: "seed path intrusion" }, [403]);
    await expectRest("mallory", "POST", `/api/chat/rooms/${R}/members`, { userId: "mallory" }, [403]);
    await expectRest("mallory", "GET", `/api/calls/${C}`, undefined, [403]);
    await expectRest("mallory", "GET", `/api/jobs/${J}`, undefined, [403]);
    await expectRest("mallory", "POST", `/api/jobs/${J}/assign`, { assigneeId: "mallory" }, [403]);
    await expectRest("bob", "POST", `/api/jobs/${J}/assign`, { assigneeId: "mallory" }, [403]);
    await expectRest("mallory", "POST", `/api/notifications/${N}/read`, undefined, [404]);
    await expectRest("mallory", "DELETE", `/api/notifications/${N}`, undefined, [404]);
    await expectRest("bob", "DELETE", `/api/notifications/${N}`, undefined, [404]);
    await expectRest("mallory", "GET", "/api/approvals/artisan-requests?status=pending", undefined, [403]);
    await expectRest("mallory", "GET", "/api/notifications/artisan-requests", undefined, [403]);
    for (const base of ["/api/approvals", "/api/notifications"]) {
      for (const d of ["approve", "reject"]) await expectRest("mallory", "POST", `${base}/artisan-requests/${A}/${d}`, undefined, [403]);
    }
    await expectRest("mallory", "GET", `/api/payments/invoices/${T}-inv-alice`, undefined, [404]);
    await expectRest("bob", "GET", `/api/payments/invoices/${T}-inv-alice`, undefined, [404]);

    // Lists never include what the caller may not see.
    const rooms = (await (await p.fetch("/api/chat/rooms", { token: tokens.mallory })).json()) as { rooms: Array<{ id: number }> };
    results.push({ what: "mallory GET /api/chat/rooms lists no foreign room", got: JSON.stringify(rooms.rooms.map((r) => r.id)), ok: !rooms.rooms.some((r) => r.id === R) });
    const inbox = (await (await p.fetch("/api/notifications", { token: tokens.mallory })).json()) as { notifications: Array<{ id: number }> };
    results.push({
      what: "mallory GET /api/notifications lists no foreign notification",
      got: JSON.stringify(inbox.notifications.map((n) => n.id)),
      ok: !inbox.notifications.some((n) => n.id === N),
    });

    // Payments: another user's update never reaches a non-admin subscriber.
    const wh2 = JSON.stringify({ id: `${T}-evt-b`, type: "invoice.paid", tenantId: T, data: { invoiceId: `${T}-inv-alice-2`, status: "paid", amount: 99, userId: "alice" } });
    await p.fetch("/api/payments/webhook", { method: "POST", body: wh2, headers: { "payment-signature": signWebhook(TEST_WEBHOOK_SECRET, wh2) } });

    // leave_room of a room one is not in: a no-op by rule (ok, nobody told, nothing stored).
    const leave = await emit(mallory, "leave_room", { roomId: R });
    await sleep(500);
    const after = await snapshot(db, [T]);
    const diff = changed(before, after).filter((t) => !t.startsWith("payments."));
    const paymentRows = after["payments.invoices"]!.rows - before["payments.invoices"]!.rows;
    // The legitimate webhook above adds to payments.*; every other table must be untouched.
    const paymentsOf = (s: typeof before) => s["payments.invoices"]!.rows + s["payments.processed_webhook_events"]!.rows;

    const bad = results.filter((r) => !r.ok);
    for (const b of bad) note(`not refused: ${b.what} -> ${b.got}`);
    const heardBad = heard.filter((e) => e !== "payment_update");
    c.check(bad.length === 0, `${bad.length} attempts not answered FORBIDDEN/NOT_FOUND`);
    c.check(diff.length === 0, `database changed by refused attempts: ${diff.join(", ")}`);
    c.check(paymentRows === 1, "only the legitimate webhook added an invoice");
    c.check(heardBad.length === 0, `the owner's sockets heard: ${heardBad.join(", ")}`);
    c.check(!malloryHeard.some((e) => e.startsWith("payment_update")), `mallory received someone else's payment update: ${malloryHeard.join(", ")}`);
    c.check(leave.ok, "leave_room of a foreign room is a no-op");
    // The owner still sees everything intact.
    const h = (await (await p.fetch(`/api/chat/rooms/${R}/messages`, { token: tokens.alice })).json()) as { messages: Array<{ id: number; content: string }> };
    c.check(h.messages.length === 1 && h.messages[0]!.content === "secret", `owner's history intact (${JSON.stringify(h.messages)})`);
    const j = (await (await p.fetch(`/api/jobs/${J}`, { token: tokens.alice })).json()) as { status: string; assigneeId: string };
    c.check(j.status === "ASSIGNED" && j.assigneeId === "bob", `job intact (${JSON.stringify(j)})`);
    figure(
      `authz attempts=${results.length} refused=${results.length - bad.length} (${((100 * (results.length - bad.length)) / results.length).toFixed(1)}% FORBIDDEN/NOT_FOUND) db_rows=${totalRows(before) - paymentsOf(before)}->${totalRows(after) - paymentsOf(after)} tables_changed=${diff.length} leaked_events=${heardBad.length} noop_leave_room=1`,
    );
  } finally {
    await p.stop();
    note("platform stopped");
  }
});
