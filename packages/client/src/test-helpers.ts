import type { ServerEventName, ServerEventPayload } from "@rt/contracts";
import type { RealtimeClient } from "./client.ts";

/** The next `event` on a RealtimeClient (first matching `filter`), typed from the contract, or a timeout error. */
export function next<E extends ServerEventName>(
  client: RealtimeClient,
  event: E,
  opts: { timeoutMs?: number; filter?: (d: ServerEventPayload<E>) => boolean } = {},
): Promise<ServerEventPayload<E>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${event}`));
    }, opts.timeoutMs ?? 3000);
    const off = client.on(event, (d) => {
      if (opts.filter && !opts.filter(d)) return;
      clearTimeout(timer);
      off();
      resolve(d);
    });
  });
}

/** The error a promise rejected with (fails the test if it resolved). */
export async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}
