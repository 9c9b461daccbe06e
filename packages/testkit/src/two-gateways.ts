import { CLUSTER_TEST_ENV, platformEnv, startPlatform, type SharedClusterInfo, type TestPlatform } from "./platform.ts";
import { startCluster } from "./cluster.ts";
import { testMode } from "./mode.ts";

/**
 * A platform on two gateway processes, whatever the mode: the shared cluster under
 * TEST_MODE=cluster, else a small one of its own (2 gateways, 1 replica of every service),
 * described to startPlatform as the shared one. `env` must be a subset of CLUSTER_TEST_ENV.
 */
export async function startTwoGateways(env: Record<string, string> = {}): Promise<{ p: TestPlatform; stop(): Promise<void> }> {
  if (testMode() === "cluster" || process.env.RT_TEST_CLUSTER) {
    const p = await startPlatform({ mode: "cluster", env });
    return { p, stop: () => p.stop() };
  }
  const c = await startCluster({ gateways: 2, replicas: 1, env: CLUSTER_TEST_ENV });
  const info: SharedClusterInfo = { namespace: c.namespace, gatewayUrls: c.gatewayUrls, env: platformEnv(c.env) };
  process.env.RT_TEST_CLUSTER = JSON.stringify(info);
  const p = await startPlatform({ mode: "cluster", env });
  return {
    p,
    async stop() {
      await p.stop();
      await c.stop();
    },
  };
}
