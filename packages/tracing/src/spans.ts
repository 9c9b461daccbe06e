import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Attributes, type Context, type Span } from "@opentelemetry/api";

export { SpanKind, type Attributes, type Context, type Span };

/**
 * Set by startTracing. Every hook tests it first, so with tracing off (the default) a hook is one
 * branch: no span objects, no context switch, no header map per message.
 */
let on = false;
/** Share of client events traced; decided once, at the root: everything downstream follows its parent. */
let ratio = 1;
export const tracingOn = (): boolean => on;
export const setTracingOn = (v: boolean, sampleRatio = 1) => {
  on = v;
  ratio = sampleRatio;
};

const tracer = () => trace.getTracer("rt");

/** Headers carrying the active span (W3C `traceparent`), or undefined when off or outside a span. */
export function traceHeaders(): Record<string, string> | undefined {
  if (!on) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? carrier : undefined;
}

/** The active span's `traceparent`, for a message whose body carries it (the delivery envelope). */
export const currentTraceparent = (): string | undefined => traceHeaders()?.traceparent;

/**
 * Run `fn` with the remote parent named in `headers` as the active context (or the root one
 * without it): a received message continues its sender's trace, never the receiver's own.
 */
export function withRemoteParent<T>(headers: Record<string, string> | undefined, fn: () => T): T {
  if (!on) return fn();
  return context.with(headers ? propagation.extract(ROOT_CONTEXT, headers) : ROOT_CONTEXT, fn);
}

/** Open a span under the active context; undefined when off. The caller ends it with `closeSpan`. */
function openSpan(name: string, kind: SpanKind, attributes?: Attributes, parent?: Context): Span | undefined {
  if (!on) return undefined;
  return tracer().startSpan(name, { kind, attributes }, parent ?? context.active());
}

/**
 * Open the root span of a new trace (a client event), for the sampled share of them: an event left
 * out gets no span at all, so it sends no `traceparent` and nothing downstream traces it either
 * (cheaper than the SDK's non-recording spans, whose headers every hop would still carry).
 */
export function openRootSpan(name: string, kind: SpanKind, attributes?: Attributes): Span | undefined {
  if (!on || (ratio < 1 && Math.random() >= ratio)) return undefined;
  return tracer().startSpan(name, { kind, attributes }, ROOT_CONTEXT);
}

/** Open a span continuing the remote span `traceparent` names (a message body carried it); undefined when off or absent. */
export function openRemoteChild(traceparent: string | undefined, name: string, kind: SpanKind, attributes?: Attributes): Span | undefined {
  if (!on || !traceparent) return undefined;
  return openSpan(name, kind, attributes, propagation.extract(ROOT_CONTEXT, { traceparent }));
}

/** End a span with the outcome's code (anything but OK marks it an error). */
export function closeSpan(span: Span | undefined, code: string, endTime?: number): void {
  if (!span) return;
  span.setAttribute("rt.code", code);
  if (code !== "OK") span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  span.end(endTime);
}

/** Run `fn` with `span` active (its children and the messages it sends hang under it). */
export function runInSpan<T>(span: Span | undefined, fn: () => T): T {
  return span ? context.with(trace.setSpan(context.active(), span), fn) : fn();
}

/** A span around `fn`, ended when it settles; a thrown error marks it failed. Just `fn()` when off. */
export function inSpan<T>(name: string, kind: SpanKind, attributes: Attributes | undefined, fn: () => Promise<T>): Promise<T> {
  const span = openSpan(name, kind, attributes);
  if (!span) return fn();
  return runInSpan(span, fn).then(
    (v) => {
      closeSpan(span, "OK");
      return v;
    },
    (err: unknown) => {
      span.recordException(err instanceof Error ? err : String(err));
      closeSpan(span, err instanceof Error && "code" in err && typeof err.code === "string" ? err.code : "INTERNAL");
      throw err;
    },
  );
}

/**
 * `inSpan` only inside a trace: work nobody traced (a relayed HTTP request, a timer's sweep) makes
 * no span, rather than a one-span trace per statement.
 */
export function inChildSpan<T>(name: string, kind: SpanKind, attributes: Attributes | undefined, fn: () => Promise<T>): Promise<T> {
  return on && trace.getSpan(context.active()) ? inSpan(name, kind, attributes, fn) : fn();
}

/** The active context, to resume later (an item of a batch keeps its own sender's). */
export const captureContext = (): Context | undefined => (on ? context.active() : undefined);
export const runInContext = <T>(ctx: Context | undefined, fn: () => T): T => (ctx ? context.with(ctx, fn) : fn());

/** pino mixin: every line written inside a span names its trace and span. */
export function traceLogFields(): Record<string, string> {
  if (!on) return {};
  const sc = trace.getSpan(context.active())?.spanContext();
  return sc ? { traceId: sc.traceId, spanId: sc.spanId } : {};
}
