import { connectBus, createLogger, createMetrics, exitIfPortBusy, handleSignals, loadConfigOrExit, tracingFromConfig } from "@rt/service-kit";
import { startGateway } from "./gateway.ts";

const config = loadConfigOrExit();
exitIfPortBusy(config.PORT);
const log = createLogger({ name: "gateway", level: config.LOG_LEVEL });
const tracing = tracingFromConfig(config, "gateway");
if (!config.NATS_URL) throw new Error("NATS_URL is required to run the gateway alone (use `bun run dev` for one process)");
const bus = await connectBus(config, `gateway-${process.pid}`, log);
const gateway = await startGateway({ bus, log, config, metrics: createMetrics("gateway") }, { port: config.PORT });
handleSignals(async () => {
  await gateway.stop();
  await bus.drain();
  await tracing?.shutdown();
}, log);
