import { afterAll, beforeAll, expect, test } from "bun:test";
import { trace } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { busStreams } from "@rt/contracts";
import { SpanKind, inSpan, startTracing, type Tracing } from "@rt/tracing";
import { createNatsBus } from "./bus-nats.ts";
import type { Bus } from "./bus.ts";
import { BusError } from "./errors.ts";

// Real NATS: the test fails (not skips) when the server is unreachable.
const url = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const ns = `tb${Math.random().toString(36).slice(2, 8)}`;
let caller: Bus;
let server: Bus;
let spy: NatsConnection;
let tracing: Tracing;
/** Every message on the namespace's wire, by subject. */
const seen: string[] = [];

beforeAll(async () => {
  tracing = startTracing({ serviceName: "batch-test", exporter: new InMemorySpanExporter() });
  caller = await createNatsBus({ url, name: "batch-caller", streams: busStreams, namespace: ns, batchRequests: true });
  server = await createNatsBus({ url, name: "batch-server", streams: busStreams, namespace: ns, dropNamespaceOnDrain: true });
  spy = await connect({ servers: url });
  // Only the subjects counted: a subscriber on a batch subject would take NATS's no-responders answer away.
  for (const s of ["_rtb.svc.echo", "svc.echo", "_rtb.svc.trace"]) spy.subscribe(`${ns}.${s}`, { callback: (_e, m) => void seen.push(m.subject) });
  await spy.flush();
});
afterAll(async () => {
  await caller.drain();
  await server.drain();
  await spy.close();
  await tracing.shutdown();
});

const count = (subject: string) => seen.filter((s) => s === subject).length;

test("requests of one turn to one subject travel as one message; each caller gets its own reply", async () => {
  const sub = server.respond("svc.echo", (d) => ({ echoed: d }), { queue: "svc" });
  await server.flush();
  seen.length = 0;
  const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => caller.request("svc.echo", { i })));
  expect(replies).toEqual(Array.from({ length: 10 }, (_, i) => ({ echoed: { i } })));
  await spy.flush();
  expect(count(`${ns}._rtb.svc.echo`)).toBe(1);
  expect(count(`${ns}.svc.echo`)).toBe(0);
  // A request alone in its turn goes as before.
  expect(await caller.request("svc.echo", "alone")).toEqual({ echoed: "alone" });
  await spy.flush();
  expect(count(`${ns}.svc.echo`)).toBe(1);
  sub.unsubscribe();
});

test("a quick reply does not wait for a slow one of its batch; a throwing item answers INTERNAL to its caller only", async () => {
  const sub = server.respond(
    "svc.mixed",
    async (d) => {
      if (d === "slow") await Bun.sleep(600);
      if (d === "boom") throw new Error("secret detail");
      return d;
    },
    { queue: "svc" },
  );
  await server.flush();
  const started = performance.now();
  const at = (p: Promise<unknown>) => p.then((v) => ({ v, ms: performance.now() - started }));
  const [slow, quick, boom] = await Promise.all([at(caller.request("svc.mixed", "slow")), at(caller.request("svc.mixed", "quick")), at(caller.request("svc.mixed", "boom"))]);
  expect(slow.v).toBe("slow");
  expect(quick.v).toBe("quick");
  expect(boom.v).toEqual({ ok: false, error: { code: "INTERNAL", message: "internal error" } });
  expect(quick.ms).toBeLessThan(300);
  expect(boom.ms).toBeLessThan(300);
  expect(slow.ms).toBeGreaterThanOrEqual(590);
  sub.unsubscribe();
});

test("a responder from before batches (plain subject only) still answers every request; with none, each fails NO_RESPONDERS", async () => {
  const old = await connect({ servers: url });
  old.subscribe(`${ns}.svc.old`, { queue: "svc", callback: (_e, m) => void m.respond(JSON.stringify({ old: m.json() })) });
  await old.flush();
  expect(await Promise.all([caller.request("svc.old", 1), caller.request("svc.old", 2), caller.request("svc.old", 3)])).toEqual([{ old: 1 }, { old: 2 }, { old: 3 }]);
  await old.close();
  const none = await Promise.all([1, 2].map((i) => caller.request("svc.nobody", i).catch((e) => e)));
  for (const e of none) expect((e as BusError).code).toBe("NO_RESPONDERS");
});

test("a batch without an answer in time fails each request with TIMEOUT", async () => {
  const sub = server.respond("svc.stuck", () => Bun.sleep(2_000), { queue: "svc" });
  await server.flush();
  const started = performance.now();
  const out = await Promise.all([1, 2, 3].map((i) => caller.request("svc.stuck", i, { timeoutMs: 200 }).catch((e) => e)));
  for (const e of out) {
    expect(e).toBeInstanceOf(BusError);
    expect((e as BusError).code).toBe("TIMEOUT");
  }
  expect(performance.now() - started).toBeLessThan(1_000);
  sub.unsubscribe();
});

test("each request of a batch is handled in its own caller's trace", async () => {
  const sub = server.respond("svc.trace", () => trace.getActiveSpan()?.spanContext().traceId ?? null, { queue: "svc" });
  await server.flush();
  const ask = () =>
    inSpan("caller", SpanKind.CLIENT, undefined, async () => ({ mine: trace.getActiveSpan()?.spanContext().traceId, theirs: await caller.request("svc.trace", null) }));
  seen.length = 0;
  const [a, b] = await Promise.all([ask(), ask()]);
  await spy.flush();
  expect(count(`${ns}._rtb.svc.trace`)).toBe(1);
  expect(a?.mine).toBeString();
  expect(a?.theirs).toBe(a?.mine);
  expect(b?.theirs).toBe(b?.mine);
  expect(a?.mine).not.toBe(b?.mine);
  sub.unsubscribe();
});

test("requests still waiting for the end of the turn go out when the bus drains", async () => {
  const sub = server.respond("svc.late", (d) => d, { queue: "svc" });
  await server.flush();
  const c = await createNatsBus({ url, name: "batch-drain", streams: busStreams, namespace: ns, batchRequests: true });
  const pending = [c.request("svc.late", 1), c.request("svc.late", 2)];
  await c.drain();
  expect(await Promise.all(pending)).toEqual([1, 2]);
  sub.unsubscribe();
});
