import type { Registry } from "prom-client";
import { SvcRequest, subjects, type ServiceName, type SvcContext, type SvcReply } from "@rt/contracts";
import type { Bus, Subscription } from "@rt/bus";
import { toErrorBody } from "./errors.ts";
import type { Logger } from "./log.ts";
import { actionSeconds } from "./metrics.ts";
import { withTrace } from "./trace.ts";

export type ActionHandler = (ctx: SvcContext, data: unknown) => Promise<unknown> | unknown;

/**
 * Serve a service's actions on `rt.svc.<service>.<action>` in the service's queue group, so
 * replicas share the work. Every reply is `{ ok, data }` or `{ ok: false, error }`. Each action is
 * timed and logged (debug) under the caller's traceId, the one the gateway logged the event with.
 */
export function serveActions(
  bus: Bus,
  service: ServiceName,
  handlers: Record<string, ActionHandler>,
  log: Logger,
  metrics: Registry,
): Subscription {
  const seconds = actionSeconds(metrics);
  const subs = Object.entries(handlers).map(([action, handler]) =>
    bus.respond(
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
        try {
          const out = await withTrace(ctx.traceId, () => handler(ctx, data));
          reply = out === undefined ? { ok: true } : { ok: true, data: out };
        } catch (err) {
          reply = { ok: false, error: toErrorBody(err, log.child(fields), `${service}.${action}`) };
        }
        const code = reply.ok ? "OK" : reply.error.code;
        const elapsed = performance.now() - started;
        seconds.observe({ service, action, code }, elapsed / 1000);
        if (log.isLevelEnabled("debug"))
          log.debug({ ...fields, userId: ctx.userId, tenantId: ctx.tenantId, code, ms: Math.round(elapsed * 10) / 10 }, "action handled");
        return reply;
      },
      { queue: service },
    ),
  );
  return { unsubscribe: () => subs.forEach((s) => s.unsubscribe()) };
}
