import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, SimpleSpanProcessor, TracerProvider, type SpanExporter } from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import { setTracingOn, tracingOn } from "./spans.ts";

export interface TracingOptions {
  serviceName: string;
  /** OTLP over HTTP: the traces URL (`…/v1/traces`) and extra request headers. */
  otlp?: { url: string; headers?: Record<string, string> };
  /** Any other exporter (tests: the SDK's InMemorySpanExporter), each span exported as it ends. */
  exporter?: SpanExporter;
  /** Share of new traces (client events) recorded, default 1 (openRootSpan decides). */
  ratio?: number;
}

export interface Tracing {
  /** Export what is buffered now. */
  flush(): Promise<void>;
  /** Export what is left and switch tracing off. */
  shutdown(): Promise<void>;
}

/**
 * Switch tracing on for this process: spans go to the exporter, context follows async calls
 * (AsyncLocalStorage) and crosses messages as W3C `traceparent`. One process, one provider: a
 * second call (all services in one process) returns a handle that only flushes.
 */
export function startTracing(opts: TracingOptions): Tracing {
  if (tracingOn()) {
    const provider = trace.getTracerProvider() as unknown as { forceFlush?: () => Promise<void> };
    return { flush: async () => provider.forceFlush?.(), shutdown: async () => {} };
  }
  const exporter = opts.exporter ?? new OTLPTraceExporter(opts.otlp);
  const processor = opts.exporter ? new SimpleSpanProcessor({ exporter }) : new BatchSpanProcessor({ exporter });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: opts.serviceName }),
    spanProcessors: [processor],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  setTracingOn(true, opts.ratio);
  return {
    flush: () => provider.forceFlush(),
    async shutdown() {
      setTracingOn(false);
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
