/**
 * Case 3, tenant isolation under load: two tenants with the same user ids, role names and entity
 * types, 500 sockets each, and a mixed stream of deliveries until 100,000 receipts (publish API to
 * users, roles, rooms, sync channels, payments and whole tenants; SDK publishes over the platform's
 * bus; chat messages; data-change), including publishes of one tenant aimed at the other's room
 * ids. Every receipt carries its tenant: 0 may cross. Then REST routes and socket events of one
 * tenant naming the other tenant's ids answer NOT_FOUND and never data.
 * Runs the platform in this process (the SDK publishes on its bus).
 * Knobs: BATTERY_ISO_SOCKETS (per tenant, 500), BATTERY_ISO_RECEIPTS (100000).
 */
import { io as ioClient, type Socket } from "socket.io-client";
import { realtime } from "@rt/sdk";
import { TEST_API_KEY, TEST_WEBHOOK_SECRET } from "@rt/testkit";
import { signWebhook } from "../../../apps/payments/src/sign-webhook.ts";
import { figure, note, pool, round, runCase, size, sleep } from "../lib/common.ts";
import { inProcessPlatform } from "../lib/platform.ts";

const PER_TENANT = size("ISO_SOCKETS", 500, 100);
const TARGET_RECEIPTS = size("ISO_RECEIPTS", 100_000, 10_000);
const ROOM_USERS = 10;
const TYPES = ["Rental", "Booking"];

type Ack = { ok: boolean; data?: any; error?: { code: string } };

interface Client {
  tenant: string;
  tag: "A" | "B";
  user: string;
  roles: string[];
  socket: Socket;
  room?: number;
  types: string[];
}

await runCase("3-tenant-isolation", 300, async (c) => {
  const p = await inProcessPlatform({ RATE_LIMIT_MESSAGE: "100000", RATE_LIMIT_DEFAULT: "100000", RATE_LIMIT_TYPING: "100000" });
  const all: Client[] = [];
  try {
    const tenants = { A: `${p.tenant}-a`, B: `${p.tenant}-b` } as const;
    const users = Math.ceil(PER_TENANT / 2);
    const userIds = Array.from({ length: users }, (_, i) => `u${i}`);
    const rolesOf = (i: number) => (i < users * 0.1 ? ["admin"] : i < users * 0.2 ? ["pdg"] : ["member"]);
    const token = (tag: "A" | "B", i: number) => p.token({ sub: userIds[i]!, tenantId: tenants[tag], roles: rolesOf(i), name: `${tag}-${userIds[i]}` });

    // Rooms: the same shape in both tenants (ROOM_USERS users each), created over REST.
    const rooms: Record<"A" | "B", number[]> = { A: [], B: [] };
    const roomTenant = new Map<number, "A" | "B">();
    for (const tag of ["A", "B"] as const) {
      for (let r = 0; r * ROOM_USERS < users; r++) {
        const members = userIds.slice(r * ROOM_USERS, (r + 1) * ROOM_USERS);
        const res = await p.fetch("/api/chat/rooms", { method: "POST", token: await token(tag, r * ROOM_USERS), json: { name: `room-${r}`, memberIds: members } });
        const id = ((await res.json()) as { id: number }).id;
        rooms[tag].push(id);
        roomTenant.set(id, tag);
      }
    }

    // Receipts: every event that carries a tenant mark is checked against the receiving socket.
    let receipts = 0;
    let crossed = 0;
    const crossSamples: string[] = [];
    const socketTenant = new Map<string, "A" | "B">();
    const markOf = (event: string, d: any): string | undefined => {
      if (!d || typeof d !== "object") return undefined;
      if (event === "message:new") return String(d.content ?? "").split("|")[0];
      if (event === "data-change") return d.data?.t;
      if (event === "payment_update") return String(d.data?.invoiceId ?? "").split("-")[1];
      if (event === "user:online") return socketTenant.get(d.socketId);
      if (event === "member:joined" || event === "member:left") return roomTenant.get(d.roomId);
      return d.t;
    };
    const t0 = performance.now();
    await pool(
      Array.from({ length: PER_TENANT * 2 }, (_, k) => k),
      40,
      async (k) => {
        const tag = k < PER_TENANT ? "A" : "B";
        const i = (k % PER_TENANT) % users;
        const s = ioClient(p.url, { transports: ["websocket"], auth: { token: await token(tag, i) }, forceNew: true, reconnection: false });
        await new Promise<void>((r, j) => (s.once("connect", () => r()), s.once("connect_error", j)));
        socketTenant.set(s.id!, tag);
        const cl: Client = { tenant: tenants[tag], tag, user: userIds[i]!, roles: rolesOf(i), socket: s, types: k % 3 === 0 ? TYPES : [TYPES[k % 2]!] };
        s.onAny((event: string, d: unknown) => {
          const mark = markOf(event, d);
          if (mark === undefined) return;
          if (mark === "A" || mark === "B") {
            if (event !== "user:online" && event !== "member:joined" && event !== "member:left") receipts++;
            if (mark !== tag) {
              crossed++;
              if (crossSamples.length < 5) crossSamples.push(`${tag} socket got ${event} ${JSON.stringify(d).slice(0, 120)}`);
            }
          }
        });
        const room = rooms[tag][Math.floor(i / ROOM_USERS)]!;
        for (const [event, data] of [
          ["join_room", { roomId: room }],
          ["join-data-sync", { entityTypes: cl.types }],
          ["subscribe:payments", {}],
        ] as const) {
          const a = (await s.timeout(15_000).emitWithAck(event, data)) as Ack;
          if (!a.ok) throw new Error(`${tag}/${cl.user} ${event}: ${JSON.stringify(a)}`);
        }
        cl.room = room;
        all.push(cl);
      },
    );
    note(`${all.length} sockets connected and joined in ${round((performance.now() - t0) / 1000)} s`);
    await sleep(1000);
    receipts = 0;

    // Who should receive what, from the same model the sockets were set up with.
    const of = (tag: "A" | "B") => all.filter((x) => x.tag === tag);
    const expectUser = (tag: "A" | "B", u: string) => of(tag).filter((x) => x.user === u).length;
    const expectRole = (tag: "A" | "B", r: string) => of(tag).filter((x) => x.roles.includes(r)).length;
    const expectRoom = (tag: "A" | "B", room: number) => of(tag).filter((x) => x.room === room).length;
    const expectSync = (tag: "A" | "B", t: string) => of(tag).filter((x) => x.types.includes(t)).length;
    const expectPayment = (tag: "A" | "B", u: string) => of(tag).filter((x) => x.roles.includes("admin") || x.user === u).length;

    const key = { "x-api-key": TEST_API_KEY };
    const publish = async (env: unknown) => {
      const r = await p.fetch("/api/publish", { method: "POST", headers: key, json: env });
      if (r.status !== 202) throw new Error(`publish ${r.status} ${await r.text()}`);
    };
    const sdk = { A: realtime(p.platform.bus, tenants.A), B: realtime(p.platform.bus, tenants.B) };
    const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!;
    let n = 0;
    let expected = 0;
    const kinds: Record<string, number> = {};
    type Op = { kind: string; expect: number; run: () => Promise<unknown> };
    const makeOp = (tag: "A" | "B"): Op => {
      const other = tag === "A" ? "B" : "A";
      const tenantId = tenants[tag];
      const mark = { t: tag, n: n++ };
      const roll = Math.random();
      const u = pick(userIds);
      if (roll < 0.14) return { kind: "api:user", expect: expectUser(tag, u), run: () => publish({ tenantId, target: { kind: "user", id: u }, event: "iso:user", data: mark }) };
      if (roll < 0.26) return { kind: "sdk:user", expect: expectUser(tag, u), run: () => sdk[tag].emitToUser(u, "iso:sdk", mark) };
      if (roll < 0.34)
        return { kind: "api:role", expect: expectRole(tag, "admin"), run: () => publish({ tenantId, target: { kind: "role", id: "admin" }, event: "iso:role", data: mark }) };
      if (roll < 0.4) return { kind: "sdk:pdg", expect: expectRole(tag, "pdg"), run: () => sdk[tag].emitToPDG("iso:pdg", mark) };
      if (roll < 0.5) {
        const room = pick(rooms[tag]);
        return { kind: "api:room", expect: expectRoom(tag, room), run: () => publish({ tenantId, target: { kind: "room", id: String(room) }, event: "iso:room", data: mark }) };
      }
      if (roll < 0.56) {
        // Aimed at the other tenant's room ids: the room names carry the tenant, so nobody gets it.
        const room = pick(rooms[other]);
        return {
          kind: "api:foreign-room",
          expect: expectRoom(tag, room),
          run: () => publish({ tenantId, target: { kind: "room", id: String(room) }, event: "iso:room", data: mark }),
        };
      }
      if (roll < 0.6) {
        const type = pick(TYPES);
        return { kind: "sdk:data-change", expect: expectSync(tag, type), run: () => sdk[tag].broadcastDataChange(type, "UPDATE", mark, u) };
      }
      if (roll < 0.63) {
        const type = pick(TYPES);
        return {
          kind: "api:data-change",
          expect: expectSync(tag, type),
          run: () => publish({ tenantId, target: { kind: "sync", id: type }, event: "data-change", data: { action: "CREATE", data: mark, userId: u } }),
        };
      }
      if (roll < 0.67) {
        return {
          kind: "api:payments",
          expect: expectPayment(tag, u),
          run: () =>
            publish({
              tenantId,
              target: { kind: "payments" },
              event: "payment_update",
              data: { type: "payment_update", data: { invoiceId: `inv-${tag}-${mark.n}`, status: "paid", amount: 1, userId: u } },
            }),
        };
      }
      if (roll < 0.685) return { kind: "api:tenant", expect: of(tag).length, run: () => publish({ tenantId, target: { kind: "tenant" }, event: "iso:tenant", data: mark }) };
      // A chat message from a socket of this tenant to its room.
      const sender = pick(of(tag));
      return {
        kind: "chat:message",
        expect: expectRoom(tag, sender.room!),
        run: async () => {
          const a = (await sender.socket.timeout(15_000).emitWithAck("message:send", { roomId: sender.room, content: `${tag}|${mark.n}` })) as Ack;
          if (!a.ok) throw new Error(`message:send ${JSON.stringify(a)}`);
        },
      };
    };
    const ops: Op[] = [];
    while (expected < TARGET_RECEIPTS) {
      const op = makeOp(ops.length % 2 === 0 ? "A" : "B");
      ops.push(op);
      expected += op.expect;
      kinds[op.kind] = (kinds[op.kind] ?? 0) + 1;
    }
    const t1 = performance.now();
    let failures = 0;
    await pool(ops, 24, async (op) => {
      try {
        await op.run();
      } catch (err) {
        failures++;
        if (failures <= 3) note(`delivery op ${op.kind} failed: ${(err as Error).message}`);
      }
    });
    // Wait until every receipt arrived (bounded).
    const waitUntil = performance.now() + 30_000;
    while (receipts < expected && performance.now() < waitUntil) await sleep(200);
    await sleep(500);
    const seconds = (performance.now() - t1) / 1000;
    figure(
      `isolation tenants=2 sockets=${all.length} same_user_ids=${users} ops=${ops.length} receipts=${receipts}/${expected} cross_tenant=${crossed} in ${round(seconds)}s (${Math.round(receipts / seconds)}/s) mix=${JSON.stringify(kinds)}`,
    );
    c.check(crossed === 0, `cross-tenant receipts: ${crossSamples.join(" | ")}`);
    c.check(failures === 0, `${failures} delivery operations failed`);
    c.check(receipts === expected, `every intended receipt arrived once (${receipts} of ${expected})`);

    // REST and socket paths with the other tenant's ids: NOT_FOUND, never data.
    const ownerA = all.find((x) => x.tag === "A" && x.user === "u0")!;
    const emitA = (e: string, d: unknown) => ownerA.socket.timeout(10_000).emitWithAck(e, d) as Promise<Ack>;
    const msg = await emitA("message:send", { roomId: rooms.A[0], content: "A|secret" });
    const call = await emitA("call:initiated", { roomId: rooms.A[0] });
    const job = await emitA("test:create-job", { projectId: 1, jobTypeId: 1, subject: "A's job" });
    await emitA("test:assign-job", { jobId: job.data.id, assigneeId: "u1" });
    const notif = await emitA("test:notification", { title: "A only" });
    const ar = (await (
      await p.fetch("/api/approvals/artisan-requests", { method: "POST", headers: key, json: { tenantId: tenants.A, contact_id: 1, nom_complet: "A", email: "a@example.com" } })
    ).json()) as { id: number };
    const wh = JSON.stringify({
      id: `${tenants.A}-iso-evt`,
      type: "invoice.paid",
      tenantId: tenants.A,
      data: { invoiceId: `${tenants.A}-inv-only-A`, status: "paid", amount: 5, userId: "u0" },
    });
    await p.fetch("/api/payments/webhook", { method: "POST", body: wh, headers: { "payment-signature": signWebhook(TEST_WEBHOOK_SECRET, wh) } });
    const ids = { room: rooms.A[0]!, message: msg.data.id, call: call.data.id, job: job.data.id, notification: notif.data.id, request: ar.id };
    const tokB = { admin: await token("B", 0), pdg: await token("B", Math.ceil(users * 0.1)), member: await token("B", users - 1) };
    const probes: Array<[string, string, string, unknown?]> = [
      [tokB.member, "GET", `/api/chat/rooms/${ids.room}`],
      [tokB.member, "GET", `/api/chat/rooms/${ids.room}/messages`],
      [tokB.member, "POST", `/api/chat/rooms/${ids.room}/messages`, { content: "B was here" }],
      [tokB.member, "POST", `/shared/chat/rooms/${ids.room}/messages`, { content: "B was here" }],
      [tokB.member, "POST", `/api/chat/rooms/${ids.room}/members`, { userId: "u1" }],
      [tokB.member, "GET", `/api/calls/${ids.call}`],
      [tokB.member, "GET", `/api/jobs/${ids.job}`],
      [tokB.admin, "POST", `/api/jobs/${ids.job}/assign`, { assigneeId: "u1" }],
      [tokB.admin, "POST", `/api/notifications/${ids.notification}/read`],
      [tokB.admin, "DELETE", `/api/notifications/${ids.notification}`],
      [tokB.pdg, "POST", `/api/approvals/artisan-requests/${ids.request}/approve`],
      [tokB.pdg, "POST", `/api/notifications/artisan-requests/${ids.request}/reject`],
      [tokB.admin, "GET", `/api/payments/invoices/${tenants.A}-inv-only-A`],
    ];
    let restOk = 0;
    const restBad: string[] = [];
    for (const [tok, method, path, json] of probes) {
      const r = await p.fetch(path, { method, token: tok, ...(json === undefined ? {} : { json }) });
      const body = await r.text();
      if (r.status === 404 && /^\{"error":\{"code":"NOT_FOUND","message":"[^"]*"\}\}$/.test(body)) restOk++;
      else restBad.push(`${method} ${path}: ${r.status} ${body.slice(0, 100)}`);
    }
    const bSocket = all.find((x) => x.tag === "B" && x.user === "u0")!.socket;
    const socketProbes: Array<[string, unknown]> = [
      ["join_room", { roomId: ids.room }],
      ["message:send", { roomId: ids.room, content: "B|x" }],
      ["message:edit", { messageId: ids.message, content: "B edit" }],
      ["message:delete", { messageId: ids.message }],
      ["call:initiated", { roomId: ids.room }],
      ["call:answered", { callId: ids.call }],
      ["call:ended", { callId: ids.call }],
      ["job:start", { jobId: ids.job }],
      ["job:complete", { jobId: ids.job }],
      ["test:assign-job", { jobId: ids.job, assigneeId: "u0" }],
      ["notification:read", { notificationId: ids.notification }],
      ["notification:delete", { notificationId: ids.notification }],
    ];
    let sockOk = 0;
    const sockBad: string[] = [];
    for (const [e, d] of socketProbes) {
      const a = (await bSocket.timeout(10_000).emitWithAck(e, d)) as Ack;
      // A room the tenant does not have is NOT_FOUND; calls ask chat, which answers "not a member".
      if (!a.ok && (a.error!.code === "NOT_FOUND" || (e.startsWith("call:") && a.error!.code === "FORBIDDEN"))) sockOk++;
      else sockBad.push(`${e}: ${JSON.stringify(a).slice(0, 100)}`);
    }
    await sleep(300);
    figure(`isolation foreign_ids rest_404=${restOk}/${probes.length} socket_refused=${sockOk}/${socketProbes.length} cross_tenant_after=${crossed}`);
    c.check(restBad.length === 0, `REST with the other tenant's ids: ${restBad.join(" | ")}`);
    c.check(sockBad.length === 0, `socket events with the other tenant's ids: ${sockBad.join(" | ")}`);
    c.check(crossed === 0, "still no cross-tenant receipt");
  } finally {
    for (const x of all) x.socket.close();
    await p.stop();
    note("platform stopped");
  }
});
