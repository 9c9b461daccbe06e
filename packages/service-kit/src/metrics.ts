import { Histogram, type Registry } from "prom-client";
import { observeQueries, type Database } from "@rt/db";

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * A histogram registered once per registry: the all-in-one runner gives every service the same
 * registry, so the second service reuses the first one's metric instead of clashing on the name.
 */
function histogram<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]): Histogram<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Histogram<L>;
  return new Histogram({ name, help, labelNames, buckets: LATENCY_BUCKETS, registers: [registry] });
}

/** Time of a service action, from request to reply; labels are the finite action table and codes. */
export const actionSeconds = (registry: Registry) =>
  histogram(registry, "rt_service_action_seconds", "Service action handling time (bus request to reply)", ["service", "action", "code"] as const);

/** Time of a relayed HTTP request inside the service; no path label (ids would make it unbounded). */
export const httpSeconds = (registry: Registry) =>
  histogram(registry, "rt_service_http_seconds", "Relayed HTTP request handling time in the service", ["service", "method", "status"] as const);

/** Database time: each statement outside a transaction, and each whole transaction. */
export function instrumentDatabase(db: Database, registry: Registry): void {
  const h = histogram(registry, "rt_db_query_seconds", "Database statement time (op=query) and whole transaction time (op=transaction)", ["op"] as const);
  observeQueries(db.db, (op, seconds) => h.observe({ op }, seconds));
}
