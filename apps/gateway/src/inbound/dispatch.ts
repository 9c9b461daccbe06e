import { AppError, clientEvents, isClientEvent, routeOf, type Ack, type EdgeEventName } from "@rt/contracts";
import { callService, measurePayload, newTraceId, toErrorBody, tooDeepMessage, withTrace } from "@rt/service-kit";
import { SpanKind, closeSpan, openRootSpan, runInSpan } from "@rt/tracing";
import { userKey, type Limiter } from "./limiter.ts";
import { svcContext } from "./context.ts";
import { EncodedAck } from "./shared-reads.ts";
import { chatHandlers } from "./handlers/chat.ts";
import { syncHandlers } from "./handlers/sync.ts";
import { publicHandlers } from "./handlers/auth.ts";
import type { Gateway, GatewaySocket, Handler, HandlerTable } from "../types.ts";

/** Payload cap per event (docs/PROTOCOL.md#connection). */
export const MAX_EVENT_BYTES = 64 * 1024;

/** The events the gateway answers itself; every other one goes to the service its contract entry names. */
const handlers: HandlerTable = { ...publicHandlers, ...chatHandlers, ...syncHandlers };

/** Echo an event name in an error only when it is a plain short string. */
const safeName = (e: unknown) => (typeof e === "string" && e.length <= 100 ? e : "unknown");

async function run(gw: Gateway, socket: GatewaySocket, limiter: Limiter, event: unknown, args: unknown[], traceId: string): Promise<unknown> {
  if (!isClientEvent(event)) throw new AppError("VALIDATION", "unknown event");
  const def = clientEvents[event];
  const ctx = svcContext(gw, socket, traceId);
  if (!ctx && !("anonymous" in def)) throw new AppError("UNAUTHENTICATED", "authenticate first");
  if ("testOnly" in def && !gw.config.TEST_EVENTS) throw new AppError("NOT_FOUND", "test events are disabled");
  const size = measurePayload(args, MAX_EVENT_BYTES);
  if (size.tooDeep) throw new AppError("VALIDATION", tooDeepMessage);
  if (size.bytes > MAX_EVENT_BYTES) throw new AppError("VALIDATION", "payload too large (max 64 KiB)");
  const who = ctx ? userKey(ctx.tenantId, ctx.userId) : `anon\u0000${socket.id}`;
  await limiter.spend(def.rate, who, `too many ${event} events, slow down`);
  if (ctx) await gw.tenantLimits.spendEvent(ctx.tenantId);
  // Forwarded: the service parses the payload (once, there); the gateway checked only what protects it.
  const route = routeOf(event);
  if (route && ctx) {
    const call = () => gw.inflight.run(() => callService(gw.bus, route.service, route.action as never, ctx, args[0], { timer: gw.metrics.busTimer }));
    return "perTenant" in def ? gw.sharedReads.run(`${event}\u0000${ctx.tenantId}`, call) : call();
  }
  const input = def.input.parse(args[0]);
  const handler = handlers[event as EdgeEventName] as Handler<EdgeEventName>;
  return handler(gw, socket, input as never, ctx ?? anonymousCtx(gw, socket, traceId));
}

/** Only ping and authenticate reach here without a principal; they do not read the context. */
const anonymousCtx = (gw: Gateway, socket: GatewaySocket, traceId: string) => ({
  tenantId: "",
  userId: "",
  roles: [],
  name: "",
  socketId: socket.id,
  gatewayId: gw.id,
  traceId,
});

/**
 * One entry for every client event: refuse what the contract does not name, check auth, size and
 * rate, validate, run the domain handler, and answer by ack or by an `error` event. Each event gets
 * a traceId that goes to the service in ctx, so the gateway's line and the service's share it; with
 * tracing on, also a span, whose context the bus carries to the service (`traceparent` header).
 */
export function attachDispatch(gw: Gateway, socket: GatewaySocket, limiter: Limiter) {
  socket.onAny((event: unknown, ...args: unknown[]) => {
    // An EncodedAck is an Ack already encoded (../encoder.ts).
    const ack = typeof args.at(-1) === "function" ? (args.pop() as (a: Ack | EncodedAck) => void) : undefined;
    const name = isClientEvent(event) ? event : "unknown";
    gw.metrics.eventIn(name);
    // With tracing on, each (sampled) event starts a trace (its span is the root) and the trace's id is the traceId.
    const span = openRootSpan(name, SpanKind.SERVER, { "rt.socket": socket.id });
    const traceId = span ? span.spanContext().traceId : newTraceId();
    // Fields, not a child logger per event: most events log nothing at info level.
    const fields = { traceId, event: name, socketId: socket.id };
    const started = performance.now();
    const handled = (code: string) => {
      if (gw.log.isLevelEnabled("debug"))
        gw.log.debug({ ...fields, userId: socket.data.principal?.userId ?? null, code, ms: Math.round((performance.now() - started) * 10) / 10 }, "event handled");
    };
    runInSpan(span, () => withTrace(traceId, () => run(gw, socket, limiter, event, args, traceId))).then(
      (data) => {
        gw.metrics.ack("OK");
        handled("OK");
        closeSpan(span, "OK");
        ack?.(data instanceof EncodedAck ? data : data === undefined ? { ok: true } : { ok: true, data });
      },
      (err) => {
        const error = toErrorBody(err, () => gw.log.child(fields), `event ${safeName(event)}`);
        gw.metrics.ack(error.code);
        handled(error.code);
        closeSpan(span, error.code);
        if (ack) ack({ ok: false, error });
        else socket.emit("error", { event: safeName(event), ...error, timestamp: new Date().toISOString() });
      },
    );
  });
}
