import type { ServiceHarness } from "./service-harness.ts";

/** Poll until `fn` gives a truthy value (deliveries and consumed events arrive asynchronously). */
export async function eventually<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("condition not met in time");
    await Bun.sleep(20);
  }
}

/** The deliveries of one tenant (optionally one event) a service harness saw so far (other tests share the bus). */
export const deliveriesOf = (h: ServiceHarness, tenantId: string, event?: string) =>
  h.deliveries.filter((d) => d.envelope.tenantId === tenantId && (event === undefined || d.envelope.event === event));

/**
 * The distinct broadcasts of one tenant and event: a repeated clientMsgId republishes under the
 * same envelope id, which gateways deliver to a socket once.
 */
export const broadcastsOf = (h: ServiceHarness, tenantId: string, event: string) => [...new Map(deliveriesOf(h, tenantId, event).map((d) => [d.envelope.id, d.envelope])).values()];

export interface Delivered {
  event: string;
  data: any;
  target: { kind: string; id?: string };
}

/** Deliveries of one tenant (optionally one event and one target id), in publish order, as event, data and target. */
export function delivered(h: ServiceHarness, tenantId: string, event?: string, targetId?: string): Delivered[] {
  return deliveriesOf(h, tenantId, event)
    .map((d) => d.envelope)
    .filter((e) => !targetId || e.target.id === targetId)
    .map((e) => ({ event: e.event, data: e.data, target: e.target }));
}

/**
 * Let published deliveries reach the harness (a real NATS hop in nats mode), e.g. before asserting
 * that something was NOT sent.
 */
export async function settle(h: ServiceHarness): Promise<void> {
  await h.bus.flush();
  await Bun.sleep(h.bus.kind === "nats" ? 150 : 20);
}
