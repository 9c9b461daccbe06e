import { Counter, type Registry } from "prom-client";

/**
 * What the bus counts, one set per process: the app's registry adopts them (`registerBusMetrics`),
 * so a service's /metrics shows its own bus.
 */
export const busMetrics = {
  eventRetries: new Counter({
    name: "rt_bus_event_retries_total",
    help: "Durable events redelivered after their handler failed",
    labelNames: ["durable"] as const,
    registers: [],
  }),
  deadLetters: new Counter({
    name: "rt_bus_dead_letters_total",
    help: "Durable events moved to the dead-letter subject before their retention ran out",
    labelNames: ["durable"] as const,
    registers: [],
  }),
  logPublishRetries: new Counter({
    name: "rt_bus_log_publish_retries_total",
    help: "Deliveries whose store in the delivery log was not acknowledged and were published again",
    registers: [],
  }),
  logPublishFailures: new Counter({
    name: "rt_bus_log_publish_failures_total",
    help: "Deliveries the delivery log could not store after every retry (lost for every gateway)",
    registers: [],
  }),
};

export function registerBusMetrics(registry: Registry): void {
  for (const m of Object.values(busMetrics)) {
    try {
      registry.registerMetric(m);
    } catch {
      // Already in this registry.
    }
  }
}
