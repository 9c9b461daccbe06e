import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { io } from "socket.io-client";
import { mintToken } from "@rt/auth";
import { DEV_JWT_SECRET } from "@rt/service-kit";
import {
  LOOPBACK_TEST_ENV,
  TEST_DATABASE_URL,
  TEST_LOG_MAX_BYTES,
  TEST_NATS_URL,
  freePort,
  inheritedEnv,
  REPO_ROOT,
  SETPRIV,
  dropNamespace,
  startCluster,
  testMode,
  testNamespace,
  uniqueTenant,
  waitFor,
  waitReady,
  type Cluster,
} from "@rt/testkit";

/**
 * Tracing as an operator switches it on: OTEL_* variables, spans exported over OTLP/HTTP by
 * separate processes, collected here by a stand-in collector. Cluster mode: a cluster of its own
 * (one gateway, one replica of every service, each its own process); other modes: one all-in-one
 * process (nats: on NATS + Postgres, embedded: in-process bus and PGlite).
 */
interface OtlpSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}
const spans: OtlpSpan[] = [];
const collector = Bun.serve({
  port: 0,
  async fetch(req) {
    type Attr = { key: string; value: { stringValue?: string } };
    const body = (await req.json()) as {
      resourceSpans: { resource: { attributes: Attr[] }; scopeSpans: { spans: Omit<OtlpSpan, "service">[] }[] }[];
    };
    for (const rs of body.resourceSpans) {
      const service = rs.resource.attributes.find((a) => a.key === "service.name")?.value.stringValue ?? "";
      for (const ss of rs.scopeSpans)
        for (const s of ss.spans) spans.push({ service, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, name: s.name });
    }
    return Response.json({});
  },
});
const OTEL = { OTEL_TRACES_EXPORTER: "otlp", OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}` };

const mode = testMode();
const cluster = mode === "cluster";
let url: string;
let stop: () => Promise<unknown>;
beforeAll(async () => {
  if (cluster) {
    const c: Cluster = await startCluster({ gateways: 1, replicas: 1, env: { ...LOOPBACK_TEST_ENV, ...OTEL } });
    url = c.gatewayUrls[0]!;
    stop = () => c.stop();
    return;
  }
  const port = freePort();
  const namespace = testNamespace();
  const real =
    mode === "nats"
      ? { NATS_URL: TEST_NATS_URL, DATABASE_URL: TEST_DATABASE_URL, NATS_NAMESPACE: namespace, DELIVERY_LOG_MAX_BYTES: String(TEST_LOG_MAX_BYTES) }
      : { PGLITE_DIR: "memory" };
  const env = { ...inheritedEnv(), ...LOOPBACK_TEST_ENV, ...OTEL, ...real, NODE_ENV: "test", LOG_LEVEL: "warn", PORT: String(port) };
  const proc: Subprocess = Bun.spawn([...SETPRIV, process.execPath, "run", "apps/all-in-one/src/main.ts"], { cwd: REPO_ROOT, env, stdout: "ignore", stderr: "inherit" });
  url = `http://127.0.0.1:${port}`;
  stop = async () => {
    proc.kill("SIGTERM");
    await proc.exited;
    if (mode === "nats") await dropNamespace(TEST_NATS_URL, namespace);
  };
  await waitReady(`${url}/ready`, 60_000, proc.exited);
}, 120_000);
afterAll(async () => {
  await stop?.();
  collector.stop(true);
});

test("one message:send is one trace exported over OTLP/HTTP: gateway, chat, db query and delivery", async () => {
  const tenantId = uniqueTenant("otlp");
  const token = await mintToken({ sub: "otto", tenantId }, { secret: DEV_JWT_SECRET });
  const res = await fetch(`${url}/api/chat/rooms`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "otlp", memberIds: [] }),
  });
  const room = (await res.json()) as { id: number };
  const s = io(url, { transports: ["websocket"], auth: { token }, reconnection: false, forceNew: true });
  try {
    await waitFor(s, "connect");
    expect((await s.timeout(5000).emitWithAck("join_room", { roomId: room.id })).ok).toBe(true);
    const got = waitFor(s, "message:new");
    expect((await s.timeout(5000).emitWithAck("message:send", { roomId: room.id, content: "over otlp" })).ok).toBe(true);
    await got;
  } finally {
    s.close();
  }
  // The processes export in batches (every 5 s by default).
  const deadline = Date.now() + 30_000;
  const trace = () => {
    const root = spans.filter((x) => x.name === "message:send" && !x.parentSpanId).at(-1);
    return root ? spans.filter((x) => x.traceId === root.traceId) : [];
  };
  while (Date.now() < deadline && !trace().some((x) => x.name === "deliver message:new")) await Bun.sleep(250);
  const mine = trace();
  const byName = (n: string) => mine.find((x) => x.name === n);
  const event = byName("message:send")!;
  const action = byName("chat.message:send");
  expect(action?.parentSpanId).toBe(event.spanId);
  expect(mine.some((x) => x.name === "db.query" && x.parentSpanId === action!.spanId)).toBe(true);
  expect(byName("deliver message:new")?.parentSpanId).toBe(action!.spanId);
  // Cluster: the spans come from the gateway's and the chat service's own processes.
  const services = cluster ? { event: "gateway", action: "chat" } : { event: "realtime", action: "realtime" };
  expect({ event: event.service, action: action!.service }).toEqual(services);
}, 60_000);
