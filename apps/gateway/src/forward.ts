import { AppError, SvcReply, subjects, type ServiceName, type SvcContext } from "@rt/contracts";
import { isBusError, type Bus } from "@rt/bus";

/** Bounded wait for a service; past it the client hears UNAVAILABLE rather than nothing. */
export const SERVICE_TIMEOUT_MS = 5000;

/** Ask a service to do an action as the verified caller; its refusal comes back as an AppError. */
export async function forward(bus: Bus, service: ServiceName, action: string, ctx: SvcContext, data: unknown): Promise<unknown> {
  let raw: unknown;
  try {
    raw = await bus.request(subjects.svc(service, action), { ctx, data }, { timeoutMs: SERVICE_TIMEOUT_MS });
  } catch (err) {
    if (isBusError(err)) throw new AppError("UNAVAILABLE", `${service} service unavailable`);
    throw err;
  }
  const reply = SvcReply.safeParse(raw);
  if (!reply.success) throw new AppError("INTERNAL", "bad service reply");
  if (!reply.data.ok) throw new AppError(reply.data.error.code, reply.data.error.message);
  return reply.data.data;
}
