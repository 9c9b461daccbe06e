import { expect } from "bun:test";
import { expectSafeMessage, type ServiceHarness } from "@rt/testkit";

export { expectRefused, expectSafeMessage } from "@rt/testkit";

/** An HTTP answer that failed with `status`/`code` in the platform's error shape. */
export function expectHttpError(res: { status: number; json: any }, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.json).toMatchObject({ error: { code } });
  expectSafeMessage(res.json.error.message);
}

/** The deliveries of one tenant and event seen so far (other tests share the bus). */
export const deliveriesOf = (h: ServiceHarness, tenantId: string, event?: string) =>
  h.deliveries.filter((d) => d.envelope.tenantId === tenantId && (event === undefined || d.envelope.event === event));

/**
 * The distinct broadcasts of one tenant and event: a repeated clientMsgId republishes under the
 * same envelope id, which gateways deliver to a socket once.
 */
export const broadcastsOf = (h: ServiceHarness, tenantId: string, event: string) => [
  ...new Map(deliveriesOf(h, tenantId, event).map((d) => [d.envelope.id, d.envelope])).values(),
];

/** Let published deliveries reach the harness (a real NATS hop in nats mode). */
export async function settle(h: ServiceHarness): Promise<void> {
  await h.bus.flush();
  await Bun.sleep(h.bus.kind === "nats" ? 100 : 10);
}
