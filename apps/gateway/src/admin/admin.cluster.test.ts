import { afterAll, beforeAll, expect, test, setDefaultTimeout } from "bun:test";
import { AdminApi } from "@rt/sdk";
import { startTwoGateways, TEST_ADMIN_KEY, waitFor, type TestPlatform } from "@rt/testkit";

setDefaultTimeout(30_000);

/**
 * The server API across two gateway processes: a call to gateway 1 (HTTP) or from the server SDK
 * (on the cluster's NATS) sees the sockets of both, and disconnects a user connected to the other.
 */
let p: TestPlatform;
let stop: () => Promise<void>;
beforeAll(async () => {
  ({ p, stop } = await startTwoGateways({ ADMIN_API_KEY: TEST_ADMIN_KEY }));
}, 120_000);
afterAll(async () => {
  await stop?.();
}, 60_000);

const admin = (path: string, init: RequestInit & { json?: unknown } = {}) => p.fetch(`/api/admin${path}`, { token: TEST_ADMIN_KEY, ...init });

test("HTTP on gateway 1 lists sockets of both gateways and disconnects a user connected to gateway 2", async () => {
  const near = await p.connect({ sub: "near", gateway: 0 });
  const far = await p.connect({ sub: "far", gateway: 1 });
  const list = await (await admin(`/connections?tenantId=${p.tenant}`)).json();
  expect(list.missing).toEqual([]);
  expect(list.gateways.sort()).toEqual(["gw-1", "gw-2"]);
  expect(Object.fromEntries(list.connections.map((c: { userId: string; gatewayId: string }) => [c.userId, c.gatewayId]))).toEqual({ near: "gw-1", far: "gw-2" });

  const gateways = await (await admin("/gateways")).json();
  expect(gateways.gateways.map((g: { gatewayId: string; healthy: boolean }) => [g.gatewayId, g.healthy])).toEqual([["gw-1", true], ["gw-2", true]]);
  const counts = await (await admin(`/counts?tenantId=${p.tenant}`)).json();
  expect(counts).toMatchObject({ total: 2, byTenant: { [p.tenant]: 2 }, byGateway: { "gw-1": { sockets: 1 }, "gw-2": { sockets: 1 } } });

  const told = waitFor(far, "error");
  const gone = waitFor(far, "disconnect");
  const r = await (await admin("/disconnect", { method: "POST", json: { tenantId: p.tenant, userId: "far", reason: "cluster test" } })).json();
  expect(r).toMatchObject({ count: 1, byGateway: { "gw-1": 0, "gw-2": 1 }, missing: [] });
  expect(await told).toMatchObject({ event: "admin", message: expect.stringContaining("cluster test") });
  expect(await gone).toBe("io server disconnect");
  expect(near.connected).toBe(true);
});

test("the server SDK on the cluster's NATS does the same", async () => {
  const api = new AdminApi(p.platform.bus, { actor: "cluster-test" });
  try {
    const a = await p.connect({ sub: "sdk-a", gateway: 0 });
    const b = await p.connect({ sub: "sdk-b", gateway: 1 });
    const list = await api.listConnections({ tenantId: p.tenant });
    const sdkUsers = list.connections.filter((c) => c.userId?.startsWith("sdk-"));
    expect(sdkUsers.map((c) => [c.userId, c.gatewayId]).sort()).toEqual([["sdk-a", "gw-1"], ["sdk-b", "gw-2"]]);
    const gone = waitFor(b, "disconnect");
    expect((await api.disconnect({ socketId: b.id, reason: "sdk" })).byGateway).toEqual({ "gw-1": 0, "gw-2": 1 });
    await gone;
    expect(a.connected).toBe(true);
  } finally {
    api.close();
  }
});
