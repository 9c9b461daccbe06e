import { afterEach, expect, test } from "bun:test";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { SpanKind, inChildSpan, openRootSpan, runInSpan, closeSpan, traceHeaders, tracingOn } from "./spans.ts";
import { startTracing, type Tracing } from "./setup.ts";

// A new exporter per test: shutting tracing down shuts its exporter down for good.
let exporter = new InMemorySpanExporter();
let tracing: Tracing | undefined;
afterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
  exporter = new InMemorySpanExporter();
});

test("off (the default): no span, no headers, and inChildSpan just runs its function", async () => {
  expect(tracingOn()).toBe(false);
  expect(openRootSpan("e", SpanKind.SERVER)).toBeUndefined();
  expect(await inChildSpan("q", SpanKind.CLIENT, undefined, async () => traceHeaders())).toBeUndefined();
});

test("a sampled-out event has no span at all: it sends no traceparent and its downstream work makes none", async () => {
  tracing = startTracing({ serviceName: "t", exporter, ratio: 0 });
  const roots = Array.from({ length: 200 }, () => openRootSpan("e", SpanKind.SERVER));
  expect(roots.filter(Boolean)).toHaveLength(0);
  expect(traceHeaders()).toBeUndefined();
  await inChildSpan("q", SpanKind.CLIENT, undefined, async () => {});
  expect(exporter.getFinishedSpans()).toHaveLength(0);
});

test("a sampled event's span is the parent of the work done under it; the ratio holds roughly", async () => {
  tracing = startTracing({ serviceName: "t", exporter, ratio: 0.5 });
  const roots = Array.from({ length: 2000 }, () => openRootSpan("e", SpanKind.SERVER));
  const kept = roots.filter(Boolean);
  expect(kept.length).toBeGreaterThan(800);
  expect(kept.length).toBeLessThan(1200);
  const root = kept[0]!;
  const headers = await runInSpan(root, () => inChildSpan("q", SpanKind.CLIENT, undefined, async () => traceHeaders()));
  closeSpan(root, "OK");
  const q = exporter.getFinishedSpans().find((s) => s.name === "q")!;
  expect(q.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
  expect(headers?.traceparent).toContain(root.spanContext().traceId);
});
