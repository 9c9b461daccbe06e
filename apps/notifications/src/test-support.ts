import type { ServiceHarness } from "@rt/testkit";

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

export interface Delivered {
  event: string;
  data: any;
  target: { kind: string; id?: string };
}

/** Deliveries of one tenant (optionally one event and one target id), in publish order. */
export function delivered(h: ServiceHarness, tenantId: string, event?: string, targetId?: string): Delivered[] {
  return h.deliveries
    .map((d) => d.envelope)
    .filter((e) => e.tenantId === tenantId && (!event || e.event === event) && (!targetId || e.target.id === targetId))
    .map((e) => ({ event: e.event, data: e.data, target: e.target }));
}

/** Give in-flight deliveries a moment, for assertions that something was NOT sent. */
export const settle = () => Bun.sleep(150);

export { expectSafeMessage } from "@rt/testkit";
