import { AsyncLocalStorage } from "node:async_hooks";
import { captureContext, runInContext, type Context } from "@rt/tracing";

const current = new AsyncLocalStorage<string>();

/**
 * Run `fn` under a trace id: deliveries it publishes carry the id back to the gateways, so one id
 * follows an event from the gateway to the service and back.
 */
export function withTrace<T>(traceId: string | undefined, fn: () => T): T {
  return traceId ? current.run(traceId, fn) : fn();
}

/** The trace id of the work in progress, if any. */
export const currentTrace = (): string | undefined => current.getStore();

const TRACE_PREFIX = crypto.randomUUID().slice(0, 8);
let traceCounter = 0;

/** A new trace id: unique per process (random prefix) plus a counter, cheaper than a UUID per event. */
export const newTraceId = (): string => `${TRACE_PREFIX}-${(++traceCounter).toString(36)}`;

/** The work in progress's trace, to resume later: its id and, with tracing on, its span. */
export interface CapturedTrace {
  id: string | undefined;
  span: Context | undefined;
}

/** Capture before queueing work that a shared loop runs later (an item of a batch keeps its own sender's trace). */
export const captureTrace = (): CapturedTrace => ({ id: current.getStore(), span: captureContext() });

/** Run `fn` in a captured trace: its log lines, deliveries and spans belong to that trace. */
export const withCaptured = <T>(t: CapturedTrace, fn: () => T): T => runInContext(t.span, () => withTrace(t.id, fn));
