import { AppError, SvcReply, subjects, type ServiceName, type SvcContext } from "@rt/contracts";
import { isBusError } from "@rt/bus";
import type { Gateway } from "./socket/types.ts";

/** Bounded wait for a service; past it the client hears UNAVAILABLE rather than nothing. */
export const SERVICE_TIMEOUT_MS = 5000;

/**
 * A bus request to a service, timed per subject (subjects are the finite action and relay table):
 * a bus failure is UNAVAILABLE for the caller.
 */
export async function requestService(gw: Pick<Gateway, "bus" | "metrics">, service: ServiceName, subject: string, data: unknown): Promise<unknown> {
  const end = gw.metrics.busLatency.startTimer({ subject });
  try {
    return await gw.bus.request(subject, data, { timeoutMs: SERVICE_TIMEOUT_MS });
  } catch (err) {
    if (isBusError(err)) throw new AppError("UNAVAILABLE", `${service} service unavailable`);
    throw err;
  } finally {
    end();
  }
}

/** Ask a service to do an action as the verified caller; its refusal comes back as an AppError. */
export async function forward(gw: Pick<Gateway, "bus" | "metrics">, service: ServiceName, action: string, ctx: SvcContext, data: unknown): Promise<unknown> {
  const raw = await requestService(gw, service, subjects.svc(service, action), { ctx, data });
  const reply = SvcReply.safeParse(raw);
  if (!reply.success) throw new AppError("INTERNAL", "bad service reply");
  if (!reply.data.ok) {
    const { code, message, retryAfterMs } = reply.data.error;
    throw new AppError(code, message, { retryAfterMs });
  }
  return reply.data.data;
}
