import { createNatsBus, type Bus } from "@rt/bus";
import { busStreams } from "@rt/contracts";
import { TEST_LOG_MAX_BYTES, TEST_NATS_URL, testNamespace } from "./mode.ts";

/**
 * A connection to the machine's NATS for one test platform or harness: in `namespace`, or in a
 * fresh one of its own that is dropped when the bus drains.
 */
export function connectTestBus(name: string, namespace?: string): Promise<Bus> {
  return createNatsBus({
    url: TEST_NATS_URL,
    name,
    streams: busStreams,
    namespace: namespace ?? testNamespace(),
    dropNamespaceOnDrain: !namespace,
    logMaxBytes: TEST_LOG_MAX_BYTES,
    // As the platform's own buses (connectBus).
    batchRequests: true,
  });
}
