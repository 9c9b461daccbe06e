import { SvcRequest, subjects, type ServiceName, type SvcContext, type SvcReply } from "@rt/contracts";
import type { Bus, Subscription } from "@rt/bus";
import { toErrorBody } from "./errors.ts";
import type { Logger } from "./log.ts";

export type ActionHandler = (ctx: SvcContext, data: unknown) => Promise<unknown> | unknown;

/**
 * Serve a service's actions on `rt.svc.<service>.<action>` in the service's queue group, so
 * replicas share the work. Every reply is `{ ok, data }` or `{ ok: false, error }`.
 */
export function serveActions(
  bus: Bus,
  service: ServiceName,
  handlers: Record<string, ActionHandler>,
  log: Logger,
): Subscription {
  const subs = Object.entries(handlers).map(([action, handler]) =>
    bus.respond(
      subjects.svc(service, action),
      async (raw): Promise<SvcReply> => {
        const req = SvcRequest.safeParse(raw);
        if (!req.success) return { ok: false, error: { code: "VALIDATION", message: "bad service request" } };
        const { ctx, data } = req.data;
        try {
          const out = await handler(ctx, data);
          return out === undefined ? { ok: true } : { ok: true, data: out };
        } catch (err) {
          return { ok: false, error: toErrorBody(err, log.child({ traceId: ctx.traceId }), `${service}.${action}`) };
        }
      },
      { queue: service },
    ),
  );
  return { unsubscribe: () => subs.forEach((s) => s.unsubscribe()) };
}
