import { AppError, ErrorCode, actionSchemas, subjects, type ActionName, type ActionReply, type ServiceName, type SvcContext, type SvcReply } from "@rt/contracts";
import { isBusError, type Bus } from "@rt/bus";

/** Bounded wait for a service; past it the caller hears UNAVAILABLE rather than nothing. */
export const SERVICE_TIMEOUT_MS = 5000;

export interface CallOptions {
  timeoutMs?: number;
  /** Started per request with the subject; the returned function is called when it ends (metrics). */
  timer?: (subject: string) => () => void;
}

/** A bus request to a service; a bus failure (no responder, timeout, closed) is UNAVAILABLE. */
export async function requestService(bus: Bus, service: ServiceName, subject: string, data: unknown, opts: CallOptions = {}): Promise<unknown> {
  const end = opts.timer?.(subject);
  try {
    return await bus.request(subject, data, { timeoutMs: opts.timeoutMs ?? SERVICE_TIMEOUT_MS });
  } catch (err) {
    if (isBusError(err)) throw new AppError("UNAVAILABLE", `${service} service unavailable`);
    throw err;
  } finally {
    end?.();
  }
}

const CODES = new Set<string>(ErrorCode.options);
/** A structural check instead of a zod parse per reply: this is the message hot path. */
const isReply = (r: unknown): r is SvcReply => {
  if (typeof r !== "object" || r === null) return false;
  const { ok, error } = r as { ok?: unknown; error?: { code?: unknown; message?: unknown } };
  return ok === true || (ok === false && typeof error === "object" && error !== null && CODES.has(error.code as string) && typeof error.message === "string");
};

/**
 * Ask a service to do an action as the verified caller: the one way the gateway and the services
 * call a service. The service parses `data`; its refusal comes back as an AppError of its code. An
 * internal action's reply is checked against the contract; a forwarded event's goes to the client as is.
 */
export async function callService<S extends ServiceName, A extends ActionName<S>>(
  bus: Bus,
  service: S,
  action: A,
  ctx: SvcContext,
  data: unknown,
  opts?: CallOptions,
): Promise<ActionReply<S, A>> {
  const raw = await requestService(bus, service, subjects.svc(service, action), { ctx, data }, opts);
  if (!isReply(raw)) throw new AppError("UNAVAILABLE", `${service} service gave no usable answer`);
  if (!raw.ok) throw new AppError(raw.error.code, raw.error.message, { retryAfterMs: raw.error.retryAfterMs });
  const reply = actionSchemas(service, action)?.reply;
  if (!reply) return raw.data as ActionReply<S, A>;
  const parsed = reply.safeParse(raw.data);
  if (!parsed.success) throw new AppError("UNAVAILABLE", `${service} service gave no usable answer`);
  return parsed.data as ActionReply<S, A>;
}
