import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { io as ioClient } from "socket.io-client";
import { AppError, subjects } from "@rt/contracts";
import { startPlatform, emitAck, waitFor, expectNone, recorder, TEST_API_KEY, type TestPlatform } from "@rt/testkit";
import { realtime, type Realtime } from "./publisher.ts";

describe("server-side publishing: SDK, NATS and HTTP", () => {
  let p: TestPlatform;
  let rt: Realtime;
  beforeAll(async () => {
    p = await startPlatform({ env: { RATE_LIMIT_DEFAULT: "1000" } });
    rt = realtime(p.platform.bus, p.tenant);
  });
  afterAll(() => p.stop());

  const viaHttp = (body: unknown) => p.fetch("/api/publish", { method: "POST", json: body, headers: { "x-api-key": TEST_API_KEY } });
  const viaNats = (body: { tenantId: string; target: { kind: "sync" | "user"; id: string }; event: string; data: unknown }) =>
    p.platform.bus.publish(subjects.publish(body.tenantId, body.target.kind, body.target.id), body);

  test("data-change reaches only sync-room members of the tenant, with seq rising by one across all three paths", async () => {
    const member = await p.connect({ sub: "sync-a" });
    const notMember = await p.connect({ sub: "sync-b" });
    const otherTenant = await p.connect({ sub: "sync-a", tenantId: "another-tenant-sync" });
    expect(await emitAck(member, "join-data-sync", { entityTypes: ["EquipmentItem", "Rental"] })).toMatchObject({ ok: true });
    expect(await emitAck(otherTenant, "join-data-sync", ["EquipmentItem"])).toMatchObject({ ok: true });
    const rec = recorder(member);
    const otherRec = recorder(otherTenant);
    const noneForB = expectNone(notMember, "data-change", 600);

    await rt.broadcastDataChange("EquipmentItem", "CREATE", { id: 1 }, "sync-a");
    viaNats({ tenantId: p.tenant, target: { kind: "sync", id: "EquipmentItem" }, event: "data-change", data: { action: "UPDATE", data: { id: 1 }, userId: "sync-a", version: 2 } });
    await Bun.sleep(50);
    const r = await viaHttp({
      tenantId: p.tenant,
      target: { kind: "sync", id: "EquipmentItem" },
      event: "data-change",
      data: { action: "DELETE", data: { id: 1 }, userId: "sync-a" },
    });
    expect(r.status).toBe(202);
    await rt.broadcastDataChange("Rental", "CREATE", { id: 9 }, 7);
    await noneForB;

    const changes = rec.of("data-change") as any[];
    const equipment = changes.filter((c) => c.entityType === "EquipmentItem");
    expect(equipment.map((c) => [c.action, c.seq])).toEqual([
      ["CREATE", 1],
      ["UPDATE", 2],
      ["DELETE", 3],
    ]);
    expect(equipment[1].version).toBe(2);
    expect(equipment[0]).toMatchObject({ entityType: "EquipmentItem", data: { id: 1 }, userId: "sync-a" });
    expect(typeof equipment[0].timestamp).toBe("string");
    expect(changes.find((c) => c.entityType === "Rental")).toMatchObject({ seq: 1, userId: "7" });
    expect(otherRec.of("data-change")).toEqual([]);

    expect(await emitAck(member, "leave-data-sync", ["EquipmentItem"])).toMatchObject({ ok: true });
    const after = expectNone(member, "data-change", 300);
    await rt.broadcastDataChange("EquipmentItem", "UPDATE", { id: 1 }, null);
    await after;
  });

  test("user, role, pdg, tenant and payment targets from the SDK", async () => {
    const pdg = await p.connect({ sub: "boss", roles: ["pdg"] });
    const admin = await p.connect({ sub: "adm", roles: ["admin"] });
    const user = await p.connect({ sub: "123" });
    const toUser = waitFor(user, "booking_reminder");
    await rt.emitToUser(123, "booking_reminder", { bookingId: 1 });
    expect(await toUser).toMatchObject({ bookingId: 1 });
    const toAdmin = waitFor(admin, "new_booking");
    const notUser = expectNone(user, "new_booking");
    await rt.broadcastToRole("admin", "new_booking", { bookingId: 456, userId: 123 });
    expect(await toAdmin).toMatchObject({ bookingId: 456 });
    await notUser;
    const toPdg = waitFor(pdg, "artisan-request:new");
    await rt.emitToPDG("artisan-request:new", { contact_id: 1 });
    expect(await toPdg).toMatchObject({ contact_id: 1 });
    const sys = waitFor(user, "system-notification");
    await rt.broadcastSystemNotification({ title: "Maintenance", message: "at 22:00", level: "warning" });
    expect(await sys).toMatchObject({ title: "Maintenance", level: "warning" });
    expect(await emitAck(admin, "subscribe:payments")).toMatchObject({ ok: true });
    const pay = waitFor(admin, "payment_update");
    await rt.broadcastPaymentUpdate({ invoiceId: "inv_123", status: "paid", amount: 1000, userId: "123" });
    expect(await pay).toMatchObject({ type: "payment_update", data: { invoiceId: "inv_123", status: "paid", amount: 1000 } });
    expect(await rt.getConnectedClientsCount()).toBeGreaterThanOrEqual(3);
  });

  test("refused: reserved event names, data-change without a sync target, bad payment data", async () => {
    const code = (pr: Promise<unknown>) =>
      pr.then(
        () => "accepted",
        (e) => (e instanceof AppError ? e.code : String(e)),
      );
    expect(await code(rt.emitToUser("u", "disconnect", {}))).toBe("VALIDATION");
    expect(await code(rt.publish({ kind: "user", id: "u" }, "data-change", {}))).toBe("VALIDATION");
    expect(await code(rt.broadcastDataChange("Bad Type!", "CREATE", {}, null))).toBe("VALIDATION");
    expect(await code(Promise.resolve().then(() => rt.broadcastPaymentUpdate({ invoiceId: "x", status: "stolen" as never, amount: 1 })))).not.toBe("accepted");
  });

  test("a client that drops for a moment receives what all three paths published meanwhile, in order", async () => {
    const t = await p.token({ sub: "dropper" });
    const s = ioClient(p.url, { auth: { token: t }, transports: ["websocket"], forceNew: true, reconnectionDelay: 500, reconnectionDelayMax: 600 });
    await waitFor(s, "connect");
    expect(await emitAck(s, "join-data-sync", ["Quote"])).toMatchObject({ ok: true });
    const first = waitFor(s, "hello");
    await rt.emitToUser("dropper", "hello", {});
    await first;
    const got: string[] = [];
    s.on("data-change", (d: any) => got.push(`${d.action}:${d.seq}`));
    (s.io as any).engine.close();
    const reconnected = waitFor(s, "connect", { timeoutMs: 5000 });
    await Bun.sleep(50);
    await rt.broadcastDataChange("Quote", "CREATE", { id: 1 }, "dropper");
    viaNats({ tenantId: p.tenant, target: { kind: "sync", id: "Quote" }, event: "data-change", data: { action: "UPDATE", data: { id: 1 }, userId: "dropper" } });
    await Bun.sleep(50);
    await viaHttp({ tenantId: p.tenant, target: { kind: "sync", id: "Quote" }, event: "data-change", data: { action: "DELETE", data: { id: 1 }, userId: "dropper" } });
    await reconnected;
    expect(s.recovered).toBe(true);
    await Bun.sleep(200);
    expect(got).toEqual(["CREATE:1", "UPDATE:2", "DELETE:3"]);
    s.close();
  });
});
