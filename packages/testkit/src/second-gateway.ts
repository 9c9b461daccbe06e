import { startGateway, type RunningGateway } from "@rt/app-gateway";
import type { Registry } from "prom-client";
import { createLogger, createMetrics, type Logger } from "@rt/service-kit";
import { startPlatform, type StartPlatformOptions, type TestPlatform } from "./platform.ts";

/**
 * An in-process platform plus a second gateway on its bus: what a cluster of two looks like to a
 * client, with both gateway objects in reach (in process even in cluster mode). `log` and `metrics`
 * let a test read the second gateway's lines and gauges. PGlite migrations of every service are slow on a loaded
 * machine: give the hook that calls this a long timeout.
 */
export async function startWithSecondGateway(
  opts: Omit<StartPlatformOptions, "inProcess"> & { log?: Logger; metrics?: Registry; name?: string } = {},
): Promise<{ p: TestPlatform; second: RunningGateway; stop(): Promise<void> }> {
  const { log, metrics, name = "gw2", ...platformOpts } = opts;
  const p = await startPlatform({ ...platformOpts, inProcess: true });
  const second = await startGateway(
    {
      bus: p.platform.bus,
      // At the first platform's level (LOG_LEVEL, silent by default).
      log: log ?? createLogger({ name, level: p.config.LOG_LEVEL }),
      config: p.config,
      metrics: metrics ?? createMetrics(name),
    },
    { port: 0 },
  );
  return {
    p,
    second,
    async stop() {
      await second.stop();
      await p.stop();
    },
  };
}
