import { createMemoryBus, createNatsBus, DEFAULT_EVENT_RETRY, type Bus } from "@rt/bus";
import { connectDatabase, type Database } from "@rt/db";
import { busStreams, type ServiceName } from "@rt/contracts";
import type { Registry } from "prom-client";
import { loadConfigOrExit, type PlatformConfig } from "./config.ts";
import { crashAfterCommit } from "./crash-point.ts";
import { createLogger, type Logger } from "./log.ts";
import { createMetrics, startOpsServer } from "./ops.ts";
import { instrumentDatabase } from "./metrics.ts";
import { handleSignals } from "./lifecycle.ts";
import { tracingFromConfig } from "./tracing.ts";

/** What every service's factory receives: it owns none of these, so tests and the runner share them. */
export interface ServiceDeps {
  bus: Bus;
  db: Database;
  log: Logger;
  config: PlatformConfig;
  metrics: Registry;
}

export interface RunningService {
  /** Stop the service's own work (subscriptions, timers). Runners call it after the bus drained. */
  stop(): Promise<void>;
}

/** A service as the runners see it: its name, its migrations and its factory. */
export interface ServiceModule {
  name: ServiceName;
  /** Folder of drizzle-kit migrations; absent for services without tables. */
  migrations?: string;
  create(deps: ServiceDeps): Promise<RunningService> | RunningService;
}

export const migrationsTable = (service: ServiceName) => `__migrations_${service}`;

export async function connectBus(config: PlatformConfig, name: string, log: Logger): Promise<Bus> {
  const onError = (err: unknown, subject: string) => log.error({ err, subject }, "bus handler failed");
  if (!config.NATS_URL) return createMemoryBus({ onError, streams: busStreams });
  const maxAgeMs = config.EVENT_RETENTION_MS;
  const events = { ...DEFAULT_EVENT_RETRY, maxAgeMs, deadLetterMarginMs: Math.min(DEFAULT_EVENT_RETRY.deadLetterMarginMs, maxAgeMs / 4) };
  return createNatsBus({
    url: config.NATS_URL,
    name,
    onError,
    streams: busStreams,
    namespace: config.NATS_NAMESPACE,
    events,
    logMaxBytes: config.DELIVERY_LOG_MAX_BYTES,
    batchRequests: true,
  });
}

/**
 * Migrate and start services on one bus and database, in order: one service (runService), all of
 * them (the all-in-one runner) or a few (the test harness). `metrics` is one registry for all, or
 * one per service. Stopping stops them in reverse order.
 */
export async function startModules(
  mods: ServiceModule[],
  deps: Omit<ServiceDeps, "metrics"> & { metrics: Registry | ((service: ServiceName) => Registry) },
): Promise<RunningService> {
  const running: RunningService[] = [];
  for (const mod of mods) {
    if (mod.migrations) await deps.db.migrate({ folder: mod.migrations, table: migrationsTable(mod.name) });
    const metrics = typeof deps.metrics === "function" ? deps.metrics(mod.name) : deps.metrics;
    running.push(await mod.create({ ...deps, log: deps.log.child({ svc: mod.name }), metrics }));
  }
  return {
    async stop() {
      for (const r of running.reverse()) await r.stop();
    },
  };
}

/** Start one service with its own bus connection, database and ops port: the body of its main.ts. */
export async function runService(mod: ServiceModule): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger({ name: mod.name, level: config.LOG_LEVEL });
  if (config.CRASH_AFTER_COMMIT) Object.assign(crashAfterCommit, { point: config.CRASH_AFTER_COMMIT, kill: true });
  const tracing = tracingFromConfig(config, mod.name);
  if (!config.NATS_URL) throw new Error(`NATS_URL is required to run ${mod.name} alone (use \`bun run dev\` for one process)`);
  const bus = await connectBus(config, `${mod.name}-${process.pid}`, log);
  const db = await connectDatabase({ url: config.DATABASE_URL, pgliteDir: config.PGLITE_DIR });
  const metrics = createMetrics(mod.name);
  instrumentDatabase(db, metrics);
  const svc = await startModules([mod], { bus, db, log, config, metrics });
  let stopping = false;
  const ops = startOpsServer({
    port: config.OPS_PORT,
    name: mod.name,
    metrics,
    readiness: { ready: async () => !stopping && bus.isConnected() && (await db.ping()) },
  });
  log.info({ opsPort: ops.port, bus: bus.kind, db: db.kind }, "service started");
  handleSignals(async () => {
    stopping = true;
    // Drain first: requests already on their way to this replica are answered, not dropped
    // (unsubscribing first would discard them); then the service's own timers, then the database.
    await bus.drain();
    await svc.stop();
    await db.close();
    await tracing?.shutdown();
    ops.stop(true);
  }, log);
}
