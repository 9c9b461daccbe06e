import { afterAll, beforeAll, expect, test } from "bun:test";
import { io as ioClient } from "socket.io-client";
import { clientEvents } from "@rt/contracts";
import { startPlatform, TEST_API_KEY, waitFor, type TestPlatform } from "@rt/testkit";

/**
 * Label cardinality stays bounded under hostile input: a client, a REST caller and a publisher
 * choosing names (events, methods, tokens) add no label values (README "Metrics").
 */
let p: TestPlatform;
beforeAll(async () => {
  // In process: the gateway's /metrics then holds the services' metrics too.
  p = await startPlatform({ inProcess: true, env: { RATE_LIMIT_DEFAULT: "100000" } });
}, 30_000);
afterAll(async () => {
  await p?.stop();
});

/** Label values of `label` over every sample of the `family` metric (histogram parts included). */
async function labelValues(family: string, label: string): Promise<Set<string>> {
  const text = await (await p.fetch("/metrics")).text();
  const out = new Set<string>();
  for (const line of text.split("\n")) {
    if (!line.startsWith(family)) continue;
    const m = line.match(new RegExp(`[{,]${label}="([^"]*)"`));
    if (m) out.add(m[1]!);
  }
  return out;
}

test("random client event names, HTTP methods, tokens and published event names add no label values", async () => {
  const token = await p.token({ sub: "attacker" });
  const s = await p.connect({ sub: "attacker" });
  const rnd = () => crypto.randomUUID().slice(0, 8);
  for (let i = 0; i < 30; i++) s.emit(`evil-${rnd()}`, {});
  for (let i = 0; i < 15; i++) {
    await p.fetch("/api/chat/rooms", { method: `X${rnd().toUpperCase()}`, token });
    await p.fetch(`/api/chat/rooms/${rnd()}`, { token });
    await p.fetch("/api/publish", {
      method: "POST",
      headers: { "x-api-key": TEST_API_KEY },
      json: { tenantId: p.tenant, target: { kind: "user", id: "attacker" }, event: `evil-${rnd()}`, data: {} },
    });
    const bad = ioClient(p.url, { auth: { token: `bad.${rnd()}.token` }, transports: ["websocket"], reconnection: false, forceNew: true });
    await waitFor(bad, "connect_error");
    bad.close();
  }
  await Bun.sleep(100);

  for (const v of await labelValues("rt_gateway_events_in_total", "event")) expect([...Object.keys(clientEvents), "unknown"]).toContain(v);
  for (const v of await labelValues("rt_gateway_deliveries_total", "event")) expect(v.startsWith("evil-"), v).toBe(false);
  for (const v of await labelValues("rt_service_http_seconds", "method")) expect(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"]).toContain(v);
  for (const v of await labelValues("rt_gateway_service_request_seconds", "subject")) expect(v.startsWith("rt.svc.") || v.startsWith("rt.http.")).toBe(true);
  expect((await labelValues("rt_gateway_auth_failures_total", "reason")).size).toBeLessThanOrEqual(8);
  expect((await labelValues("rt_service_http_seconds", "status")).size).toBeLessThanOrEqual(12);
});
