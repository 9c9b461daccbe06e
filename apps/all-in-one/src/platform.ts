import type { Bus } from "@rt/bus";
import { connectDatabase, type Database } from "@rt/db";
import { connectBus, createMetrics, instrumentDatabase, startModules, type Logger, type PlatformConfig } from "@rt/service-kit";
import { startGateway, type RunningGateway } from "@rt/app-gateway";
import { serviceModules } from "./services.ts";

export interface Platform {
  url: string;
  gateway: RunningGateway;
  bus: Bus;
  db: Database;
  stop(): Promise<void>;
}

/**
 * Gateway and every service in one process, on one bus and one database: the in-process bus and
 * PGlite unless NATS_URL / DATABASE_URL are set (or a bus/db is handed in, as tests do).
 */
export async function startPlatform(opts: { config: PlatformConfig; log: Logger; port?: number; bus?: Bus; db?: Database }): Promise<Platform> {
  const { config, log } = opts;
  const bus = opts.bus ?? (await connectBus(config, `all-in-one-${process.pid}`, log));
  const db = opts.db ?? (await connectDatabase({ url: config.DATABASE_URL, pgliteDir: config.PGLITE_DIR }));
  const metrics = createMetrics("all-in-one");
  instrumentDatabase(db, metrics);
  const services = await startModules(serviceModules, { bus, db, log, config, metrics });
  const gateway = await startGateway({ bus, log: log.child({ svc: "gateway" }), config, metrics }, { port: opts.port ?? config.PORT });
  return {
    url: gateway.url,
    gateway,
    bus,
    db,
    async stop() {
      await gateway.stop();
      // As runService: answer what is on its way, then stop the services, then the database.
      await bus.drain();
      await services.stop();
      await db.close();
    },
  };
}
