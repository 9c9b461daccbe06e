/**
 * deploy/nats/nats-server.conf, as shipped, on a SECOND nats-server (free loopback port, JetStream
 * in a temp dir; the machine's NATS on 4222 is never touched): each internal publisher can write
 * only to its own tenants' rt.publish subjects; the server refuses anything else and never
 * delivers it, and the gateway refuses an envelope that does not match its (permitted) subject.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { AppError, busStreams, subjects, type DeliveryEnvelope } from "@rt/contracts";
import { createNatsBus, type Bus } from "@rt/bus";
import { createLogger, loadConfig } from "@rt/service-kit";
import { connectRealtime, type Realtime } from "@rt/sdk";
import { freePort } from "@rt/testkit";
import { servePublish } from "../../apps/gateway/src/http/publish.ts";
import { createGatewayMetrics } from "../../apps/gateway/src/metrics.ts";

const CONF = join(import.meta.dir, "nats-server.conf");
const PASS = { PLATFORM_NATS_PASS: `platform-${crypto.randomUUID()}`, BILLING_NATS_PASS: `billing-${crypto.randomUUID()}`, REPORTS_NATS_PASS: `reports-${crypto.randomUUID()}` };

let server: ReturnType<typeof Bun.spawn>;
let storeDir: string;
let platform: Bus;
let billing: { rt: Realtime; bus: Bus };
let billingRaw: NatsConnection;
let reportsRaw: NatsConnection;
const delivered: DeliveryEnvelope[] = [];
const metrics = createGatewayMetrics(new Registry());

async function waitReady(port: number): Promise<void> {
  const until = Date.now() + 20_000;
  for (;;) {
    try {
      const nc = await connect({ servers: `127.0.0.1:${port}`, user: "platform", pass: PASS.PLATFORM_NATS_PASS, reconnect: false });
      await nc.close();
      return;
    } catch (err) {
      if (Date.now() > until) throw new Error(`second nats-server did not start: ${err}`);
      await Bun.sleep(100);
    }
  }
}

beforeAll(async () => {
  const port = freePort();
  storeDir = mkdtempSync(join(tmpdir(), "rt-nats-perm-"));
  server = Bun.spawn(["/usr/sbin/nats-server", "-c", CONF, "-p", String(port), "-a", "127.0.0.1", "-sd", storeDir], { env: PASS, stdout: "ignore", stderr: "ignore" });
  await waitReady(port);
  const log = createLogger({ name: "nats-perm-test", level: "silent" });
  // The platform side, as the `platform` user given in the URL: the gateway's real publish handler.
  platform = await createNatsBus({ url: `nats://platform:${PASS.PLATFORM_NATS_PASS}@127.0.0.1:${port}`, name: "platform", streams: busStreams });
  servePublish({ bus: platform, config: loadConfig({ NODE_ENV: "test" }), log, metrics });
  platform.subscribe(subjects.deliverAll, (d) => void delivered.push(d as DeliveryEnvelope));
  billing = await connectRealtime({ natsUrl: `nats://billing:${PASS.BILLING_NATS_PASS}@127.0.0.1:${port}`, tenantId: "acme", inboxPrefix: "_INBOX_billing" });
  billingRaw = await connect({ servers: `127.0.0.1:${port}`, user: "billing", pass: PASS.BILLING_NATS_PASS, inboxPrefix: "_INBOX_billing" });
  reportsRaw = await connect({ servers: `127.0.0.1:${port}`, user: "reports", pass: PASS.REPORTS_NATS_PASS, inboxPrefix: "_INBOX_reports" });
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([billing?.bus.drain(), billingRaw?.close(), reportsRaw?.close(), platform?.drain()]);
  server?.kill();
  await server?.exited;
  rmSync(storeDir, { recursive: true, force: true });
});

const envTo = (tenantId: string, kind: "user" | "sync", id: string, event = "new_booking") => ({ tenantId, target: { kind, id }, event, data: { n: 1 } });
const deliveredTo = (tenantId: string) => delivered.filter((d) => d.tenantId === tenantId);
/** The reason NATS refused a raw request, or "answered". */
const natsRefusal = (nc: NatsConnection, subject: string, data: unknown) =>
  nc.request(subject, JSON.stringify(data), { timeout: 3000 }).then(
    () => "answered",
    (e: Error) => e.message,
  );

describe("deploy/nats/nats-server.conf: per-service users and subject permissions", () => {
  test("the SDK as `billing` publishes into its tenant; another tenant is FORBIDDEN by the server and never delivered", async () => {
    expect(await billing.rt.emitToUser("u1", "new_booking", { n: 1 })).toMatchObject({ id: expect.any(String) });
    const err = await billing.rt
      .tenant("globex")
      .emitToUser("u1", "new_booking", { n: 2 })
      .catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe("FORBIDDEN");
    await Bun.sleep(300);
    expect(deliveredTo("acme").length).toBe(1);
    expect(deliveredTo("globex")).toEqual([]);
  });

  test("a raw publish outside the user's subjects is a permissions violation: not the other tenant, not rt.deliver, not rt.svc", async () => {
    for (const subject of [subjects.publish("globex", "user", "u1"), subjects.deliver("globex", "user", "u1"), subjects.svc("notifications", "create")]) {
      expect(await natsRefusal(billingRaw, subject, envTo("globex", "user", "u1"))).toContain("Permissions Violation for Publish");
    }
    billingRaw.publish(subjects.deliver("acme", "user", "u1"), JSON.stringify({ ...envTo("acme", "user", "u1"), id: "smuggled", ts: Date.now() }));
    // `reports` may push data changes (sync) only, and only for its two tenants.
    expect(await natsRefusal(reportsRaw, subjects.publish("acme", "user", "u1"), envTo("acme", "user", "u1"))).toContain("Permissions Violation");
    expect(await natsRefusal(reportsRaw, subjects.publish("initech", "sync", "Item"), envTo("initech", "sync", "Item"))).toContain("Permissions Violation");
    await Bun.sleep(300);
    expect(delivered.filter((d) => d.id === "smuggled" || d.tenantId !== "acme")).toEqual([]);
  });

  test("a publisher cannot read deliveries or other users' replies", async () => {
    for (const subject of [subjects.deliverAll, "_INBOX.>", "_INBOX_reports.>"]) {
      const sub = billingRaw.subscribe(subject);
      // nats.js ends the subscription with the server's error (resolved, not thrown).
      const closed = sub.closed.then(
        (v) => (v instanceof Error ? v.message : "closed without error"),
        (e: Error) => e.message,
      );
      await billingRaw.flush();
      expect(await closed).toContain("Permissions Violation for Subscription");
    }
  });

  test("on a permitted subject, an envelope naming another tenant or target is refused by the gateway and counted", async () => {
    const before = delivered.length;
    const refusedBefore = (await metrics.publishRefused.get()).values.reduce((n, v) => n + v.value, 0);
    const reply = JSON.parse((await billingRaw.request(subjects.publish("acme", "user", "u1"), JSON.stringify(envTo("globex", "user", "u1")), { timeout: 3000 })).string());
    expect(reply).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    const dataChange = { tenantId: "globex", target: { kind: "sync", id: "Item" }, event: "data-change", data: { action: "UPDATE", data: {} } };
    const viaReports = JSON.parse((await reportsRaw.request(subjects.publish("acme", "sync", "Item"), JSON.stringify(dataChange), { timeout: 3000 })).string());
    expect(viaReports).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    await Bun.sleep(300);
    expect(delivered.length).toBe(before);
    expect((await metrics.publishRefused.get()).values.reduce((n, v) => n + v.value, 0) - refusedBefore).toBe(2);
  });
});
