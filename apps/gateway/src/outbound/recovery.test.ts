import { afterAll, beforeAll, expect, test } from "bun:test";
import { io as ioClient } from "socket.io-client";
import { createLogger, createMetrics } from "@rt/service-kit";
import { startWithSecondGateway, emitAck, waitFor, TEST_API_KEY, type TestPlatform } from "@rt/testkit";
import { startGateway, type RunningGateway } from "../gateway.ts";

let p: TestPlatform;
let second: RunningGateway;
let stop: () => Promise<void>;
beforeAll(async () => {
  // A second gateway on the platform's bus; the test drops a socket through p.platform.gateway.
  ({ p, second, stop } = await startWithSecondGateway());
}, 60_000);
afterAll(() => stop());

test("a client whose gateway goes away recovers on another gateway: missed events in order, no duplicates, rooms kept", async () => {
  const token = await p.token({ sub: "mover" });
  const s = ioClient(p.url, { auth: { token }, transports: ["websocket"], forceNew: true, reconnectionDelay: 300, reconnectionDelayMax: 400 });
  await waitFor(s, "connect");
  expect(await emitAck(s, "join-data-sync", ["Booking"])).toMatchObject({ ok: true });
  const publish = (n: number) =>
    p.fetch("/api/publish", {
      method: "POST",
      headers: { "x-api-key": TEST_API_KEY },
      json: { tenantId: p.tenant, target: { kind: "sync", id: "Booking" }, event: "data-change", data: { action: "UPDATE", data: { n }, userId: "x" } },
    });
  const got: number[] = [];
  s.on("data-change", (d: any) => got.push(d.data.n));
  // Listen before publishing: the delivery can beat the HTTP response.
  const first = waitFor(s, "data-change", { timeoutMs: 10_000 });
  await publish(0);
  await first;
  await Bun.sleep(50);

  // The first gateway's sockets drop; the client comes back through the second one.
  s.io.on("reconnect_attempt", () => {
    (s.io as any).uri = second.url;
  });
  const reconnected = waitFor(s, "connect", { timeoutMs: 10_000 });
  p.platform.gateway.io.of("/").sockets.get(s.id!)?.conn.close();
  await Bun.sleep(50);
  for (let n = 1; n <= 4; n++) await publish(n);
  await reconnected;
  expect(s.recovered).toBe(true);
  await Bun.sleep(300);
  expect(got).toEqual([0, 1, 2, 3, 4]);

  // Rooms came along: live events keep arriving on the new gateway.
  await publish(5);
  await Bun.sleep(200);
  expect(got).toEqual([0, 1, 2, 3, 4, 5]);
  s.close();
});

test("a gateway stopping gracefully sends its clients elsewhere: they recover there, and it refuses new handshakes", async () => {
  const third = await startGateway({ bus: p.platform.bus, log: createLogger({ name: "gw3", level: "silent" }), config: p.config, metrics: createMetrics("gw3") }, { port: 0 });
  const token = await p.token({ sub: "evacuee" });
  const s = ioClient(third.url, { auth: { token }, transports: ["websocket"], forceNew: true, reconnectionDelay: 300, reconnectionDelayMax: 400 });
  await waitFor(s, "connect");
  const got: number[] = [];
  s.on("ping-me", (d: any) => got.push(d.n));
  const send = (n: number) =>
    p.fetch("/api/publish", {
      method: "POST",
      headers: { "x-api-key": TEST_API_KEY },
      json: { tenantId: p.tenant, target: { kind: "user", id: "evacuee" }, event: "ping-me", data: { n } },
    });
  const first = waitFor(s, "ping-me", { timeoutMs: 10_000 });
  await send(0);
  await first;
  s.io.on("reconnect_attempt", () => {
    (s.io as any).uri = p.url;
  });
  const reconnected = waitFor(s, "connect", { timeoutMs: 10_000 });
  const started = Date.now();
  await third.stop();
  expect(Date.now() - started).toBeLessThan(10_000);
  await send(1);
  await send(2);
  await reconnected;
  expect(s.recovered).toBe(true);
  await Bun.sleep(200);
  expect(got).toEqual([0, 1, 2]);
  s.close();
});

test("an offset older than the session window or an unknown session is a fresh connection, not an error", async () => {
  const token = await p.token({ sub: "stranger" });
  const s = ioClient(second.url, { auth: { token }, transports: ["websocket"], forceNew: true, reconnection: false });
  (s as any)._pid = "not-a-session";
  (s as any)._lastOffset = "12";
  await waitFor(s, "connect");
  expect(s.recovered).toBe(false);
  expect(await emitAck(s, "ping")).toMatchObject({ ok: true });
  s.close();
});
