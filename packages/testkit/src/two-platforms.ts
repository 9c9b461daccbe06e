import { createNatsBus } from "@rt/bus";
import { busStreams } from "@rt/contracts";
import { TEST_LOG_MAX_BYTES, TEST_NATS_URL, testNamespace } from "./mode.ts";
import { startPlatform, type TestPlatform } from "./platform.ts";

/**
 * Two in-process platforms (a gateway and every service each) on one fresh namespace of the
 * machine's NATS: two gateways and two replicas of every service. stop() stops both and drops
 * the namespace's streams and buckets.
 */
export async function startTwoPlatforms(name: string): Promise<{ p1: TestPlatform; p2: TestPlatform; stop(): Promise<void> }> {
  const namespace = testNamespace();
  // Owns the shared namespace: drops its streams and buckets when drained at the end.
  const owner = await createNatsBus({ url: TEST_NATS_URL, name, streams: busStreams, namespace, dropNamespaceOnDrain: true, logMaxBytes: TEST_LOG_MAX_BYTES });
  const p1 = await startPlatform({ mode: "nats", namespace });
  const p2 = await startPlatform({ mode: "nats", namespace });
  return {
    p1,
    p2,
    async stop() {
      await p1.stop();
      await p2.stop();
      await owner.drain();
    },
  };
}
