import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { io as ioClient } from "socket.io-client";
import { emitAck, startPlatform, TEST_API_KEY, waitFor, type TestPlatform } from "@rt/testkit";

let p: TestPlatform;
beforeAll(async () => {
  // In process even in cluster mode: the gateway's /metrics then holds the services' metrics too.
  p = await startPlatform({ inProcess: true, env: { RATE_LIMIT_TYPING: "2" } });
}, 30_000);
afterAll(async () => {
  await p?.stop();
});

/** Every sample of a Prometheus text exposition, keyed `name{labels}` (labels as written, `app` dropped). */
async function scrape(): Promise<Map<string, number>> {
  const res = await p.fetch("/metrics");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  const out = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    const m = line.match(/^([a-z_:]+)(?:\{(.*)\})? (\S+)$/);
    if (!m) continue;
    const labels = (m[2] ?? "")
      .split(/,(?=[a-z_]+=")/)
      .filter((l) => l && !l.startsWith("app="))
      .join(",");
    out.set(labels ? `${m[1]}{${labels}}` : m[1]!, Number(m[3]));
  }
  return out;
}
const value = (m: Map<string, number>, key: string) => m.get(key) ?? 0;

test("/metrics: the platform's metrics exist and move with traffic", async () => {
  const before = await scrape();
  for (const name of ["rt_gateway_connected_sockets", "rt_gateway_recovered_sessions_total", "process_cpu_user_seconds_total"]) expect(before.has(name), name).toBe(true);

  const token = await p.token({ sub: "ann", name: "Ann", roles: ["admin"] });
  const s = await p.connect({ sub: "ann", name: "Ann", roles: ["admin"] });
  const room = await (await p.fetch("/api/chat/rooms", { method: "POST", token, json: { name: "ops", memberIds: [] } })).json();
  expect((await emitAck(s, "join_room", { roomId: room.id })).ok).toBe(true);
  const got = waitFor(s, "message:new");
  expect((await emitAck(s, "message:send", { roomId: room.id, content: "hi" })).ok).toBe(true);
  await got;
  expect(await emitAck(s, "message:edit", { messageId: 999999999, content: "x" })).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
  const typing = [];
  for (let i = 0; i < 3; i++) typing.push(await emitAck(s, "user:typing", { roomId: room.id }));
  expect(typing.map((a) => a.ok)).toEqual([true, true, false]);
  // A free-form event name from a publisher is counted, under "other".
  const custom = waitFor(s, "my-own-event-42");
  const pub = await p.fetch("/api/publish", {
    method: "POST",
    headers: { "x-api-key": TEST_API_KEY },
    json: { tenantId: p.tenant, target: { kind: "user", id: "ann" }, event: "my-own-event-42", data: {} },
  });
  expect(pub.status).toBe(202);
  await custom;
  // A refused handshake.
  const bad = ioClient(p.url, { auth: { token: "not-a-jwt" }, transports: ["websocket"], reconnection: false, forceNew: true });
  await waitFor(bad, "connect_error");
  bad.close();

  const after = await scrape();
  expect(value(after, "rt_gateway_connected_sockets")).toBeGreaterThanOrEqual(1);
  const moved = (key: string, by = 1) => expect(value(after, key) - value(before, key), key).toBeGreaterThanOrEqual(by);
  moved('rt_gateway_events_in_total{event="message:send"}');
  moved('rt_gateway_events_in_total{event="user:typing"}', 3);
  moved('rt_gateway_deliveries_total{event="message:new"}');
  moved('rt_gateway_deliveries_total{event="member:joined"}');
  moved('rt_gateway_deliveries_total{event="other"}');
  moved('rt_gateway_acks_total{code="OK"}', 4);
  moved('rt_gateway_acks_total{code="NOT_FOUND"}');
  moved('rt_gateway_acks_total{code="RATE_LIMITED"}');
  moved('rt_gateway_rate_limited_total{class="typing"}');
  moved('rt_gateway_auth_failures_total{reason="token invalid"}');
  moved('rt_gateway_service_request_seconds_count{subject="rt.svc.chat.message:send"}');
  moved('rt_gateway_service_request_seconds_count{subject="rt.http.chat"}');
  moved('rt_service_action_seconds_count{service="chat",action="message:send",code="OK"}');
  moved('rt_service_action_seconds_count{service="chat",action="message:edit",code="NOT_FOUND"}');
  moved('rt_service_http_seconds_count{service="chat",method="POST",status="201"}');
  moved('rt_db_query_seconds_count{op="query"}');
  moved('rt_db_query_seconds_count{op="transaction"}');
  const buckets = [...after.keys()].filter((k) => k.startsWith("rt_gateway_service_request_seconds_bucket{") && k.includes('subject="rt.svc.chat.message:send"'));
  expect(buckets.length).toBeGreaterThan(5);
  // Label values stay bounded: no metric carries the publisher's own event name.
  expect([...after.keys()].some((k) => k.includes("my-own-event-42"))).toBe(false);
});

test("recovered sessions are counted", async () => {
  const before = await scrape();
  const t = await p.token({ sub: "flaky" });
  const s = ioClient(p.url, { auth: { token: t }, transports: ["websocket"], forceNew: true, reconnectionDelay: 200, reconnectionDelayMax: 300 });
  await waitFor(s, "connect");
  // An offset to resume from: one delivery before the drop.
  const first = waitFor(s, "ping-me");
  await p.fetch("/api/publish", {
    method: "POST",
    headers: { "x-api-key": TEST_API_KEY },
    json: { tenantId: p.tenant, target: { kind: "user", id: "flaky" }, event: "ping-me", data: {} },
  });
  await first;
  (s.io as any).engine.close();
  await waitFor(s, "connect", { timeoutMs: 5000 });
  expect(s.recovered).toBe(true);
  s.close();
  const after = await scrape();
  expect(value(after, "rt_gateway_recovered_sessions_total") - value(before, "rt_gateway_recovered_sessions_total")).toBe(1);
});

describe("where /metrics answers", () => {
  const PROD = { NODE_ENV: "production", JWT_SECRET: "Zq8vL2mXr4TnW9pK0sYb7HcJ3dFg6AeU-prod" };
  const METRICS_TOKEN = "mt_4Hq9Lz2Xw7Kc3Vn8Bm1Rt6Yp5Js0Gd";

  test("production: GET /metrics on the public port is 404; the gateway's ops port answers /metrics, /health, /ready", async () => {
    const q = await startPlatform({ inProcess: true, env: PROD });
    try {
      expect((await q.fetch("/metrics")).status).toBe(404);
      expect((await q.fetch("/health")).status).toBe(200);
      const ops = q.platform.gateway.opsUrl;
      expect(ops).toBeString();
      const m = await fetch(`${ops}/metrics`);
      expect(m.status).toBe(200);
      expect(await m.text()).toContain("rt_gateway_connected_sockets");
      expect((await fetch(`${ops}/health`)).status).toBe(200);
      expect((await fetch(`${ops}/ready`)).status).toBe(200);
    } finally {
      await q.stop();
    }
  }, 30_000);

  test("METRICS_TOKEN: the public /metrics needs that bearer (401 without it or with another)", async () => {
    const q = await startPlatform({ inProcess: true, env: { ...PROD, METRICS_TOKEN } });
    try {
      expect((await q.fetch("/metrics")).status).toBe(401);
      expect((await q.fetch("/metrics", { token: `${METRICS_TOKEN}x` })).status).toBe(401);
      const ok = await q.fetch("/metrics", { token: METRICS_TOKEN });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain("rt_gateway_connected_sockets");
    } finally {
      await q.stop();
    }
  }, 30_000);

  test("development without METRICS_TOKEN: /metrics stays on the public port", async () => {
    expect((await p.fetch("/metrics")).status).toBe(200);
  });
});
