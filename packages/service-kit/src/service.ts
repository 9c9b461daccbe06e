import type { Hono } from "hono";
import type { ServiceName } from "@rt/contracts";
import type { Subscription } from "@rt/bus";
import { serveActions, type ActionHandlers } from "./actions.ts";
import { InFlightLimit } from "./inflight.ts";
import { serveHttpRelay, type ServiceEnv } from "./http.ts";
import type { RunningService, ServiceDeps, ServiceModule } from "./runtime.ts";

/** What a service is made of, built from its dependencies. */
export interface ServiceParts<S extends ServiceName> {
  /** One handler per action the contract gives this service (client events with its name, internal actions). */
  actions: ActionHandlers<S>;
  /** Its REST routes, relayed by the gateway over `rt.http.<service>`. */
  http?: Hono<ServiceEnv>;
  /** Anything else it listens to (event consumers, subscriptions), stopped with it. */
  subscriptions?: Subscription[];
  /** Its own timers. */
  stop?(): void | Promise<void>;
}

export interface ServiceDefinition<S extends ServiceName> {
  name: S;
  /** Folder of drizzle-kit migrations; absent for services without tables. */
  migrations?: string;
  create(deps: ServiceDeps): ServiceParts<S> | Promise<ServiceParts<S>>;
}

/**
 * A service: its actions (inputs parsed by the kit from the contract), its HTTP routes and its
 * own subscriptions, served on the bus; the result runs under runService, the all-in-one runner
 * and the test harness alike.
 */
export function defineService<S extends ServiceName>(def: ServiceDefinition<S>): ServiceModule {
  return {
    name: def.name,
    ...(def.migrations ? { migrations: def.migrations } : {}),
    async create(deps: ServiceDeps): Promise<RunningService> {
      const parts = await def.create(deps);
      const limit = new InFlightLimit(deps.config.SERVICE_MAX_INFLIGHT, `the ${def.name} service`, {
        budgetMs: deps.config.SERVICE_QUEUE_BUDGET_MS || undefined,
      });
      const subs = [serveActions(deps.bus, def.name, parts.actions, deps.log, deps.metrics, limit), ...(parts.subscriptions ?? [])];
      if (parts.http) subs.push(serveHttpRelay(deps.bus, def.name, parts.http, deps.log, deps.metrics));
      return {
        async stop() {
          for (const s of subs) s.unsubscribe();
          await parts.stop?.();
        },
      };
    },
  };
}
