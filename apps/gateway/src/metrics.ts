import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { serverEvents } from "@rt/contracts";

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

/** Label of a delivered event: publishers may use any name, so only the contract's names are kept. */
export const eventLabel = (event: string) => (Object.hasOwn(serverEvents, event) ? event : "other");

/** A label child per value, resolved once: prom-client hashes the label object on every call otherwise. */
function cached<T>(child: (value: string) => T): (value: string) => T {
  const children = new Map<string, T>();
  return (value) => {
    let c = children.get(value);
    if (c === undefined) children.set(value, (c = child(value)));
    return c;
  };
}

export function createGatewayMetrics(registry: Registry) {
  const m = {
    sockets: new Gauge({ name: "rt_gateway_connected_sockets", help: "Sockets connected to this gateway", registers: [registry] }),
    eventsIn: new Counter({ name: "rt_gateway_events_in_total", help: "Client events received", labelNames: ["event"], registers: [registry] }),
    eventsOut: new Counter({ name: "rt_gateway_deliveries_total", help: "Deliveries emitted to local rooms", labelNames: ["event"], registers: [registry] }),
    // Their ratio is the waste of interest-based delivery: envelopes read from the log for no local socket.
    logReceived: new Counter({ name: "rt_gateway_log_envelopes_received_total", help: "Envelopes this gateway read from the delivery log", registers: [registry] }),
    logDelivered: new Counter({
      name: "rt_gateway_log_envelopes_delivered_total",
      help: "Envelopes from the delivery log that reached at least one local socket",
      registers: [registry],
    }),
    logTenants: new Gauge({
      name: "rt_gateway_log_tenants",
      help: "Tenants whose deliveries this gateway follows (sockets here, or within the grace period)",
      registers: [registry],
    }),
    acks: new Counter({ name: "rt_gateway_acks_total", help: "Event outcomes by code", labelNames: ["code"], registers: [registry] }),
    rateLimited: new Counter({
      name: "rt_gateway_rate_limited_total",
      help: "Client events, REST writes and handshakes refused by rate limits",
      labelNames: ["class"],
      registers: [registry],
    }),
    recovered: new Counter({ name: "rt_gateway_recovered_sessions_total", help: "Connections restored by state recovery", registers: [registry] }),
    replays: new Gauge({ name: "rt_gateway_recovery_replays", help: "Recovery replays holding a slot (RECOVERY_MAX_CONCURRENT)", registers: [registry] }),
    publishRefused: new Counter({
      name: "rt_gateway_publish_refused_total",
      help: "Publishes refused: a key outside its tenants (HTTP), an envelope not matching its subject (NATS)",
      labelNames: ["reason"],
      registers: [registry],
    }),
    tenantLimited: new Counter({
      name: "rt_gateway_tenant_limited_total",
      help: "Refusals by a per-tenant limit; tenant: those of TENANT_LIMITS and the first TENANT_METRICS_TOP refused by name, the rest other",
      labelNames: ["tenant", "limit"],
      registers: [registry],
    }),
    authFailures: new Counter({ name: "rt_gateway_auth_failures_total", help: "Refused handshakes and authenticate calls", labelNames: ["reason"], registers: [registry] }),
    busLatency: new Histogram({
      name: "rt_gateway_service_request_seconds",
      help: "Bus request latency per service action",
      labelNames: ["subject"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
  };
  // Hot-path children: labels come from finite tables (contract events, codes, service subjects).
  const eventIn = cached((event) => m.eventsIn.labels({ event }));
  const ack = cached((code) => m.acks.labels({ code }));
  const bus = cached((subject) => m.busLatency.labels({ subject }));
  return {
    ...m,
    eventIn: (event: string) => eventIn(event).inc(),
    ack: (code: string) => ack(code).inc(),
    /** The `timer` of callService: times one bus request per subject. */
    busTimer: (subject: string) => bus(subject).startTimer(),
  };
}
