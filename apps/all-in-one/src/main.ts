import { createLogger, exitIfPortBusy, handleSignals, loadConfigOrExit, tracingFromConfig } from "@rt/service-kit";
import { devBanner, devEnv } from "./dev.ts";
import { startPlatform } from "./platform.ts";

const started = performance.now();
const config = loadConfigOrExit(devEnv(process.env));
exitIfPortBusy(config.PORT);
const log = createLogger({ name: "realtime", level: config.LOG_LEVEL });
const tracing = tracingFromConfig(config, "realtime");
const platform = await startPlatform({ config, log });
log.info({ url: platform.url, bus: platform.bus.kind, db: platform.db.kind, ms: Math.round(performance.now() - started) }, "platform ready");
// The banner (links, dev keys) is for a person at a terminal; a log collector gets JSON lines only.
if (process.stdout.isTTY) console.log(devBanner(config, Number(new URL(platform.url).port)).join("\n"));
handleSignals(async () => {
  await platform.stop();
  await tracing?.shutdown();
}, log);
