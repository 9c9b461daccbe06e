import { afterEach, expect, test } from "bun:test";
import { Server } from "socket.io";
import { Registry } from "prom-client";
import { busStreams, subjects, type DeliveryEnvelope } from "@rt/contracts";
import { createMemoryBus, type Bus } from "@rt/bus";
import { createLogger, loadConfig } from "@rt/service-kit";
import { createGatewayMetrics } from "../metrics.ts";
import { DeliveryLog } from "./delivery.ts";
import { createRecoveryAdapter } from "./recovery.ts";
import type { GatewayServer } from "../types.ts";

/**
 * The delivery log as one gateway follows it, on the in-process bus: only the tenants it holds,
 * each envelope checked against its subject's tenant, a tenant let go a grace period after its
 * last holder.
 */
let stops: Array<() => unknown> = [];
afterEach(async () => {
  for (const s of stops) await s();
  stops = [];
});

function setup() {
  const bus: Bus = createMemoryBus({ streams: busStreams });
  const io = new Server() as GatewayServer;
  const registry = new Registry();
  const metrics = createGatewayMetrics(registry);
  const config = loadConfig({ DELIVERY_TENANT_GRACE_MS: "1000", GATEWAY_TOPIC_FANOUT: "false" });
  const log = createLogger({ name: "delivery-test", level: "silent" });
  const recovery = createRecoveryAdapter({ bus, log, gatewayId: "gw-test", recoveryMs: config.RECOVERY_MS, marginMs: config.SESSION_MARGIN_MS });
  const delivery = new DeliveryLog({ gatewayId: "gw-test", bus, io, config, log, metrics, recovery });
  // No engine bound: nothing to close on the Socket.IO side.
  stops.push(
    () => delivery.stop(),
    () => bus.drain(),
  );
  const counts = async () => {
    const get = async (m: { get(): Promise<{ values: Array<{ value: number }> }> }) => (await m.get()).values[0]?.value ?? 0;
    return { received: await get(metrics.logReceived), delivered: await get(metrics.logDelivered) };
  };
  const send = (subjectTenant: string, env: Partial<DeliveryEnvelope> & { tenantId: string }) =>
    bus.publish(subjects.deliver(subjectTenant, "tenant"), {
      id: crypto.randomUUID(),
      ts: Date.now(),
      target: { kind: "tenant" },
      event: "tick",
      data: {},
      ...env,
    });
  return { bus, delivery, counts, send };
}

test("a followed tenant's envelopes are read, another tenant's are not, and an envelope naming another tenant than its subject is dropped", async () => {
  const { delivery, counts, send } = setup();
  const t = await delivery.follow("t-a");
  const start = t.position();
  send("t-b", { tenantId: "t-b" });
  send("t-a", { tenantId: "t-a" });
  // On t-a's subject but for t-b: read, never delivered to t-b's rooms.
  send("t-a", { tenantId: "t-b" });
  await Bun.sleep(20);
  expect(await counts()).toEqual({ received: 2, delivered: 0 });
  // Positions of the whole log: t-b's entry lies between the start and t-a's.
  expect(t.position()).toBe(start + 3);
  expect(t.deliveredAfter(start)?.map((d) => d.seq)).toEqual([start + 2]);
  expect(delivery.tenants()).toEqual(["t-a"]);
});

test("a tenant is followed while held and let go a grace period after its last holder", async () => {
  const { delivery } = setup();
  await delivery.follow("t-a");
  delivery.hold("s1", "t-a");
  delivery.hold("s2", "t-a");
  delivery.release("s1");
  await Bun.sleep(1200);
  expect(delivery.tenants()).toEqual(["t-a"]);
  delivery.release("s2");
  // Back within the grace period: the same tail goes on.
  await Bun.sleep(500);
  delivery.hold("s3", "t-a");
  await Bun.sleep(1200);
  expect(delivery.tenants()).toEqual(["t-a"]);
  delivery.release("s3");
  delivery.release("s3");
  await Bun.sleep(1200);
  expect(delivery.tenants()).toEqual([]);
  // Followed for a handshake that never became a socket: let go too.
  await delivery.follow("t-b");
  expect(delivery.tenants()).toEqual(["t-b"]);
  await Bun.sleep(1200);
  expect(delivery.tenants()).toEqual([]);
});

test("a pinned tenant (a replay) stays followed until unpinned, once", async () => {
  const { delivery } = setup();
  const pin = await delivery.pin("t-a");
  await Bun.sleep(1200);
  expect(delivery.tenants()).toEqual(["t-a"]);
  delivery.hold("s1", "t-a");
  pin.unpin();
  pin.unpin();
  await Bun.sleep(1200);
  expect(delivery.tenants()).toEqual(["t-a"]);
  delivery.release("s1");
  await Bun.sleep(1200);
  expect(delivery.tenants()).toEqual([]);
});
