import { AppError, clientEvents, isClientEvent, type Ack, type ClientEventName } from "@rt/contracts";
import { toErrorBody, withTrace } from "@rt/service-kit";
import { RateLimiter } from "../rate-limit.ts";
import { svcContext } from "./context.ts";
import { chatHandlers } from "./handlers/chat.ts";
import { serviceHandlers } from "./handlers/services.ts";
import { syncHandlers } from "./handlers/sync.ts";
import { publicHandlers } from "./handlers/auth.ts";
import type { Gateway, GatewaySocket, Handler, HandlerTable } from "./types.ts";

/** PROTOCOL payload cap per event. */
export const MAX_EVENT_BYTES = 64 * 1024;

const handlers: HandlerTable = { ...publicHandlers, ...chatHandlers, ...serviceHandlers, ...syncHandlers };

/** Approximate encoded size, counting binary attachments by length; stops early past the cap. */
function sizeOf(args: unknown[]): number {
  let binary = 0;
  const json = JSON.stringify(args, (_k, v) => {
    if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
      binary += v.byteLength;
      return 0;
    }
    if (v && typeof v === "object" && (v as { type?: string }).type === "Buffer" && Array.isArray((v as { data?: unknown }).data)) {
      binary += (v as { data: unknown[] }).data.length;
      return 0;
    }
    return v;
  });
  return binary + (json?.length ?? 0);
}

/** Echo an event name in an error only when it is a plain short string. */
const safeName = (e: unknown) => (typeof e === "string" && e.length <= 100 ? e : "unknown");

async function run(gw: Gateway, socket: GatewaySocket, limiter: RateLimiter, event: unknown, args: unknown[], traceId: string): Promise<unknown> {
  if (!isClientEvent(event)) throw new AppError("VALIDATION", "unknown event");
  const def = clientEvents[event];
  const ctx = svcContext(gw, socket, traceId);
  if (!ctx && !("anonymous" in def)) throw new AppError("UNAUTHENTICATED", "authenticate first");
  if ("testOnly" in def && !gw.config.TEST_EVENTS) throw new AppError("NOT_FOUND", "test events are disabled");
  if (sizeOf(args) > MAX_EVENT_BYTES) throw new AppError("VALIDATION", "payload too large (max 64 KiB)");
  const who = ctx ? `${ctx.tenantId}\u0000${ctx.userId}` : `anon\u0000${socket.id}`;
  if (!limiter.take(who, def.rate)) {
    gw.metrics.rateLimited.inc({ class: def.rate });
    throw new AppError("RATE_LIMITED", `too many ${event} events, slow down`);
  }
  const input = def.input.parse(args[0]);
  const handler = handlers[event] as Handler<ClientEventName>;
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
 * a traceId that goes to the service in ctx, so the gateway's line and the service's share it.
 */
export function attachDispatch(gw: Gateway, socket: GatewaySocket, limiter: RateLimiter) {
  socket.onAny((event: unknown, ...args: unknown[]) => {
    const ack = typeof args.at(-1) === "function" ? (args.pop() as (a: Ack) => void) : undefined;
    const name = isClientEvent(event) ? event : "unknown";
    gw.metrics.eventsIn.inc({ event: name });
    const traceId = crypto.randomUUID();
    const log = gw.log.child({ traceId, event: name, socketId: socket.id });
    const started = performance.now();
    const handled = (code: string) =>
      log.debug({ userId: socket.data.principal?.userId ?? null, code, ms: Math.round((performance.now() - started) * 10) / 10 }, "event handled");
    withTrace(traceId, () => run(gw, socket, limiter, event, args, traceId)).then(
      (data) => {
        gw.metrics.acks.inc({ code: "OK" });
        handled("OK");
        ack?.(data === undefined ? { ok: true } : { ok: true, data });
      },
      (err) => {
        const error = toErrorBody(err, log, `event ${safeName(event)}`);
        gw.metrics.acks.inc({ code: error.code });
        handled(error.code);
        if (ack) ack({ ok: false, error });
        else socket.emit("error", { event: safeName(event), ...error, timestamp: new Date().toISOString() });
      },
    );
  });
}

export function createLimiter(gw: Pick<Gateway, "config">) {
  const c = gw.config;
  return new RateLimiter({ message: c.RATE_LIMIT_MESSAGE, typing: c.RATE_LIMIT_TYPING, default: c.RATE_LIMIT_DEFAULT });
}
