import type { ServerEventName, ServerEventPayload } from "@rt/contracts";
import type { RealtimeClient } from "@rt/client";

/** The next `event` on a RealtimeClient (first matching `filter`), typed from the contract, or a timeout error. */
export function nextEvent<E extends ServerEventName>(
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
