import type { Logger } from "./log.ts";

/**
 * Run `stop` once on SIGTERM/SIGINT, then exit; a second signal or a stuck stop exits at once
 * after `graceMs`, so an orchestrator never waits forever.
 */
export function handleSignals(stop: () => Promise<void>, log: Logger, graceMs = 10_000): void {
  let stopping = false;
  const onSignal = (sig: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ sig }, "shutting down");
    const timer = setTimeout(() => {
      log.error("shutdown took too long, exiting");
      process.exit(1);
    }, graceMs);
    stop()
      .then(() => {
        clearTimeout(timer);
        log.info("stopped");
        process.exit(0);
      })
      .catch((err) => {
        log.error({ err }, "error during shutdown");
        process.exit(1);
      });
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
}
