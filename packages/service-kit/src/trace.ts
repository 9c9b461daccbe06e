import { AsyncLocalStorage } from "node:async_hooks";

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
