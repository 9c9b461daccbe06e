import type { Registry } from "prom-client";
import {
  SvcRequest,
  actionSchemas,
  describeZodError,
  subjects,
  type ActionInput,
  type ActionName,
  type ActionReply,
  type ServiceName,
  type SvcContext,
  type SvcReply,
} from "@rt/contracts";
import type { Bus, Subscription } from "@rt/bus";
import { toErrorBody } from "./errors.ts";
import type { Logger } from "./log.ts";
import type { InFlightLimit } from "./inflight.ts";
import { actionSeconds } from "./metrics.ts";
import { withTrace } from "./trace.ts";
import { SpanKind, inChildSpan } from "@rt/tracing";

/** One action's handler: its input is already parsed with the contract's schema. */
export type ActionHandler<S extends ServiceName, A extends ActionName<S>> = (ctx: SvcContext, input: ActionInput<S, A>) => Promise<ActionReply<S, A>> | ActionReply<S, A>;

/** Every action the contract gives a service, each with its handler (a missing one is a type error). */
export type ActionHandlers<S extends ServiceName> = { [A in ActionName<S>]: ActionHandler<S, A> };

/**
 * Serve a service's actions on `rt.svc.<service>.<action>` in the service's queue group, so
 * replicas share the work. The payload is parsed here, once, with the contract's schema (the
 * gateway forwards it unparsed); a bad one answers VALIDATION. Every reply is `{ ok, data }` or
 * `{ ok: false, error }`. Each action is timed and logged (debug) under the caller's traceId. With
 * `limit`, actions past its bound (all actions of the service together) are refused at once.
 */
export function serveActions<S extends ServiceName>(bus: Bus, service: S, handlers: ActionHandlers<S>, log: Logger, metrics: Registry, limit?: InFlightLimit): Subscription {
  const seconds = actionSeconds(metrics);
  const subs = Object.entries(handlers as Record<string, (ctx: SvcContext, input: unknown) => unknown>).map(([action, handler]) => {
    const schemas = actionSchemas(service, action);
    if (!schemas) throw new Error(`${service}.${action} is not in the contract`);
    // Label children resolved once per action and outcome, not per request.
    const timers = new Map<string, ReturnType<typeof seconds.labels>>();
    const timer = (code: string) => {
      let t = timers.get(code);
      if (!t) timers.set(code, (t = seconds.labels({ service, action, code })));
      return t;
    };
    return bus.respond(
      subjects.svc(service, action),
      async (raw): Promise<SvcReply> => {
        const req = SvcRequest.safeParse(raw);
        if (!req.success) return { ok: false, error: { code: "VALIDATION", message: "bad service request" } };
        const { ctx, data } = req.data;
        const started = performance.now();
        // Fields, not a child logger: a pino child (with redaction) per request is a measurable cost
        // on the hot path (bench profile), and most requests log nothing at info level.
        const fields = { traceId: ctx.traceId, action: `${service}.${action}` };
        let reply: SvcReply;
        const input = schemas.input.safeParse(data);
        if (!input.success) reply = { ok: false, error: { code: "VALIDATION", message: describeZodError(input.error) } };
        else {
          try {
            // The handler span: a child of the caller's span (the bus restored it from the message headers);
            // a request from outside any trace (an unsampled event, the SDK) makes none.
            const run = () => inChildSpan(fields.action, SpanKind.SERVER, { "rt.tenant": ctx.tenantId }, () => withTrace(ctx.traceId, async () => handler(ctx, input.data)));
            const out = await (limit ? limit.run(run) : run());
            reply = out === undefined ? { ok: true } : { ok: true, data: out };
          } catch (err) {
            reply = { ok: false, error: toErrorBody(err, () => log.child(fields), `${service}.${action}`) };
          }
        }
        const code = reply.ok ? "OK" : reply.error.code;
        const elapsed = performance.now() - started;
        timer(code).observe(elapsed / 1000);
        if (log.isLevelEnabled("debug")) log.debug({ ...fields, userId: ctx.userId, tenantId: ctx.tenantId, code, ms: Math.round(elapsed * 10) / 10 }, "action handled");
        return reply;
      },
      { queue: service },
    );
  });
  return {
    unsubscribe: () => {
      for (const s of subs) s.unsubscribe();
    },
  };
}
