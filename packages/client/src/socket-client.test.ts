import { afterAll, beforeAll, expect, test, setDefaultTimeout } from "bun:test";
import { startPlatform, TEST_API_KEY, type TestPlatform } from "@rt/testkit";
import { createSocketClient, type AuthenticatedUser, type ServerEventPayload } from "./index.ts";

// Real servers (and a browser): the suite's 20 s per test, also under a plain `bun test`.
setDefaultTimeout(20_000);

let p: TestPlatform;
beforeAll(async () => {
  p = await startPlatform();
}, 30_000);
afterAll(() => p.stop());

/** Resolves with the first value a callback slot receives. */
function slot<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, fn: (v: T) => resolve(v) };
}

const within = <T>(promise: Promise<T>, ms = 3000) => Promise.race([promise, Bun.sleep(ms).then(() => Promise.reject(new Error(`no callback within ${ms} ms`)))]);

test("seed 002 wrapper: connect(token), onConnect/onAuthenticated, payments subscription, notifications, onDisconnect", async () => {
  const socketClient = createSocketClient();
  const connected = slot<void>();
  const authenticated = slot<AuthenticatedUser>();
  const payment = slot<ServerEventPayload<"payment_update">>();
  const notification = slot<ServerEventPayload<"notification:new">>();
  const disconnected = slot<string>();
  socketClient.onConnect = connected.fn;
  socketClient.onAuthenticated = authenticated.fn;
  socketClient.onPaymentUpdate = payment.fn;
  socketClient.onNotification = notification.fn;
  socketClient.onDisconnect = disconnected.fn;
  const counts: number[] = [];
  socketClient.on("notification:unread-count", (d) => counts.push(d.count));
  const custom = slot<unknown>();
  socketClient.on("studio:booked", custom.fn);

  const token = await p.token({ sub: "seed-5", name: "Sam", roles: ["student"] });
  // The seed calls these back to back, before the socket is up.
  socketClient.connect(token, { url: p.url, transports: ["websocket"] });
  const subscribed = socketClient.subscribeToPayments();

  await within(connected.promise);
  expect(await within(authenticated.promise)).toEqual({ id: "seed-5", name: "Sam", roles: ["student"], tenantId: p.tenant });
  expect(await subscribed).toEqual({ scope: "own" });
  expect(socketClient.connected).toBe(true);

  const key = { "x-api-key": TEST_API_KEY };
  const res = await p.fetch("/api/publish", {
    method: "POST",
    headers: key,
    json: {
      tenantId: p.tenant,
      target: { kind: "payments" },
      event: "payment_update",
      data: { type: "payment_update", data: { invoiceId: "inv_123", status: "paid", amount: 1000, userId: "seed-5" }, timestamp: new Date().toISOString() },
    },
  });
  expect(res.status).toBe(202);
  expect(await within(payment.promise)).toMatchObject({ type: "payment_update", data: { invoiceId: "inv_123", status: "paid", amount: 1000 } });

  socketClient.emit("test:notification", { title: "Booking Confirmed", message: "Your studio booking has been confirmed", type: "success" });
  expect(await within(notification.promise)).toMatchObject({ title: "Booking Confirmed", type: "success", userId: "seed-5" });
  await Bun.sleep(100);
  expect(counts.at(-1)).toBeGreaterThanOrEqual(1);

  await p.fetch("/api/publish", {
    method: "POST",
    headers: key,
    json: { tenantId: p.tenant, target: { kind: "user", id: "seed-5" }, event: "studio:booked", data: { bookingId: 456 } },
  });
  expect(await within(custom.promise)).toMatchObject({ bookingId: 456 });

  expect(await socketClient.unsubscribeFromPayments()).toEqual({});
  socketClient.disconnect();
  expect(await within(disconnected.promise)).toBe("io client disconnect");
  expect(socketClient.connected).toBe(false);
});

test("another user's payment update does not reach a non-admin subscriber; an admin sees the tenant's", async () => {
  const student = createSocketClient();
  const admin = createSocketClient();
  const seen = { student: [] as string[], admin: [] as string[] };
  student.onPaymentUpdate = (d) => seen.student.push(d.data.invoiceId);
  admin.onPaymentUpdate = (d) => seen.admin.push(d.data.invoiceId);
  student.connect(await p.token({ sub: "stu" }), { url: p.url, transports: ["websocket"] });
  admin.connect(await p.token({ sub: "boss", roles: ["admin"] }), { url: p.url, transports: ["websocket"] });
  expect(await student.subscribeToPayments()).toEqual({ scope: "own" });
  expect(await admin.subscribeToPayments()).toEqual({ scope: "tenant" });
  for (const [invoiceId, userId] of [
    ["inv_other", "someone"],
    ["inv_mine", "stu"],
  ]) {
    await p.fetch("/api/publish", {
      method: "POST",
      headers: { "x-api-key": TEST_API_KEY },
      json: {
        tenantId: p.tenant,
        target: { kind: "payments" },
        event: "payment_update",
        data: { type: "payment_update", data: { invoiceId, status: "paid", amount: 1, userId }, timestamp: new Date().toISOString() },
      },
    });
  }
  await Bun.sleep(300);
  expect(seen.student).toEqual(["inv_mine"]);
  expect(seen.admin).toEqual(["inv_other", "inv_mine"]);
  student.disconnect();
  admin.disconnect();
});

test("calls before connect() fail clearly", () => {
  const c = createSocketClient();
  expect(() => c.subscribeToPayments()).toThrow("connect(token) first");
});
