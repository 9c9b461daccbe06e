import { afterAll, beforeAll, expect, test, setDefaultTimeout } from "bun:test";
import { mkdirSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { AdminApi, realtime } from "@rt/sdk";
import { startTwoGateways, TEST_ADMIN_KEY, waitFor, type TestPlatform } from "@rt/testkit";

setDefaultTimeout(30_000);

/**
 * The server API and the /admin console across two gateway processes (one cluster for both, a
 * cluster start being the slow part): a call to gateway 1 (HTTP, or the console in Debian's
 * Chromium) or from the server SDK sees the sockets of both gateways and disconnects a user
 * connected to the other one.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOT = "test-results/admin.png";

let p: TestPlatform;
let stop: () => Promise<void>;
let browser: Browser | undefined;
beforeAll(async () => {
  ({ p, stop } = await startTwoGateways({ ADMIN_API_KEY: TEST_ADMIN_KEY, ADMIN_CONSOLE: "true" }));
}, 120_000);
afterAll(async () => {
  await browser?.close();
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
  expect(gateways.gateways.map((g: { gatewayId: string; healthy: boolean }) => [g.gatewayId, g.healthy])).toEqual([
    ["gw-1", true],
    ["gw-2", true],
  ]);
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
    expect(sdkUsers.map((c) => [c.userId, c.gatewayId]).sort()).toEqual([
      ["sdk-a", "gw-1"],
      ["sdk-b", "gw-2"],
    ]);
    const gone = waitFor(b, "disconnect");
    expect((await api.disconnect({ socketId: b.id, reason: "sdk" })).byGateway).toEqual({ "gw-1": 0, "gw-2": 1 });
    await gone;
    expect(a.connected).toBe(true);
  } finally {
    api.close();
  }
});

test("the /admin console in Chromium: both gateways healthy, sockets of both, disconnects a user on gateway 2, live tap", async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
  const near = await p.connect({ sub: "web-near", gateway: 0 });
  const far = await p.connect({ sub: "web-far", gateway: 1 });
  const page = await (await browser.newContext({ viewport: { width: 1440, height: 1000 } })).newPage();
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));

  await page.goto(`${p.gatewayUrls[0]}/admin`);
  await page.fill("#credential", TEST_ADMIN_KEY);
  await page.click("#login");
  await page.waitForSelector('#who[data-platform="true"]');
  for (const g of ["gw-1", "gw-2"]) await page.waitForSelector(`#gateways tr[data-gateway="${g}"] >> text=healthy`);

  await page.fill("#q-tenant", p.tenant);
  await page.click("#search");
  await page.waitForSelector('#connections tr[data-user="web-near"][data-gateway="gw-1"]');
  await page.waitForSelector('#connections tr[data-user="web-far"][data-gateway="gw-2"]');

  const told = waitFor(far, "error");
  const gone = waitFor(far, "disconnect");
  await page.fill("#reason", "console test");
  await page.click('#connections tr[data-user="web-far"] .kick-user');
  expect(await told).toMatchObject({ event: "admin", message: expect.stringContaining("console test") });
  expect(await gone).toBe("io server disconnect");
  await page.waitForSelector('#result[data-disconnected="1"]');
  await page.waitForSelector('#connections tr[data-user="web-far"]', { state: "detached" });
  expect(near.connected).toBe(true);

  await page.fill("#tap-tenant", p.tenant);
  await page.click("#tap-start");
  await page.waitForSelector('#tap-state[data-state="ready"]');
  await realtime(p.platform.bus, p.tenant).broadcastSystemNotification({ title: "console tap", message: "hello" });
  await page.waitForSelector(".tap-envelope >> text=console tap");

  mkdirSync("test-results", { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  await page.click("#tap-stop");
  expect(errors).toEqual([]);
});
