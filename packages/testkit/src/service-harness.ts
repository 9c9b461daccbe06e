import { createMemoryBus, type Bus } from "@rt/bus";
import { connectTestBus } from "./test-bus.ts";
import { createPglite, createPostgres, type Database } from "@rt/db";
import { busStreams, serviceForPath, subjects, type ServiceName, type SvcContext, type SvcReply, type HttpRelayResponse } from "@rt/contracts";
import { createLogger, createMetrics, loadConfig, startModules, type PlatformConfig, type ServiceModule } from "@rt/service-kit";
import { TEST_DATABASE_URL, testMode, usesRealServices, type TestMode } from "./mode.ts";

export interface ServiceHarness {
  bus: Bus;
  db: Database;
  config: PlatformConfig;
  /** Call an action as a gateway would. */
  call(action: string, ctx: Partial<SvcContext> & Pick<SvcContext, "tenantId" | "userId">, data?: unknown): Promise<SvcReply>;
  /** Relay an HTTP request as the gateway would; ctx given means a verified bearer token. */
  http(
    method: string,
    path: string,
    opts?: { ctx?: Partial<SvcContext> & Pick<SvcContext, "tenantId" | "userId">; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; json: any; headers: Record<string, string> }>;
  /** Collect deliveries published to gateways (rt.deliver.>) while the harness runs. */
  deliveries: Array<{ subject: string; envelope: any }>;
  /** Stop the services and start them again on the same bus and database (a process restart). */
  restartServices(): Promise<void>;
  stop(): Promise<void>;
}

export const fullCtx = (c: Partial<SvcContext> & Pick<SvcContext, "tenantId" | "userId">): SvcContext => ({
  roles: [],
  name: c.userId,
  gatewayId: "test-gw",
  traceId: crypto.randomUUID(),
  ...c,
});

/**
 * Start service modules alone, on the bus and database of the test mode, for service-level tests
 * (no gateway). Several modules share one bus and database, as in the all-in-one runner.
 */
export async function startServices(mods: ServiceModule[], opts: { mode?: TestMode; env?: Record<string, string>; namespace?: string } = {}): Promise<ServiceHarness> {
  const mode = opts.mode ?? testMode();
  const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: process.env.LOG_LEVEL ?? "silent", ...opts.env });
  const log = createLogger({ name: "test", level: config.LOG_LEVEL });
  // Service-level tests have no gateway: in cluster mode they run as in nats mode.
  const bus = usesRealServices(mode) ? await connectTestBus("service-harness", opts.namespace) : createMemoryBus({ streams: busStreams });
  const db = usesRealServices(mode) ? createPostgres(TEST_DATABASE_URL) : await createPglite("memory");
  const start = () => startModules(mods, { bus, db, log, config, metrics: createMetrics });
  let services = await start();
  const deliveries: ServiceHarness["deliveries"] = [];
  const sub = bus.subscribe(subjects.deliverAll, (envelope, subject) => void deliveries.push({ subject, envelope }));
  await bus.flush();
  return {
    bus,
    db,
    config,
    deliveries,
    async call(action, ctx, data) {
      // action is "<service>.<action>", e.g. "chat.message:send"
      const [svc, ...rest] = action.split(".");
      return (await bus.request(subjects.svc(svc as ServiceName, rest.join(".")), { ctx: fullCtx(ctx), data: data ?? {} })) as SvcReply;
    },
    async http(method, path, o = {}) {
      const [p = "/", q] = path.split("?");
      const service = serviceForPath(p);
      if (!service) throw new Error(`no service serves ${p}`);
      const res = (await bus.request(subjects.http(service), {
        method,
        path: p,
        query: q ? `?${q}` : "",
        headers: { "content-type": "application/json", ...o.headers },
        body: o.body === undefined ? undefined : typeof o.body === "string" ? o.body : JSON.stringify(o.body),
        ctx: o.ctx ? fullCtx(o.ctx) : undefined,
      })) as HttpRelayResponse;
      let json: unknown = null;
      try {
        json = JSON.parse(res.body);
      } catch {}
      return { status: res.status, json, headers: res.headers };
    },
    async restartServices() {
      await services.stop();
      services = await start();
    },
    async stop() {
      sub.unsubscribe();
      await bus.drain();
      await services.stop();
      await db.close();
    },
  };
}
