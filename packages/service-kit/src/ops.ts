import { Registry, collectDefaultMetrics } from "prom-client";
import { registerBusMetrics } from "@rt/bus";

export interface Readiness {
  /** All dependencies answer and the app is not shutting down. */
  ready(): Promise<boolean>;
}

/** A per-app metrics registry with process defaults; apps add their own metrics to it. */
export function createMetrics(app: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry });
  registerBusMetrics(registry);
  return registry;
}

/** Answers /health, /ready and /metrics; mounted by every app (on its own port, or the gateway's). */
export async function opsResponse(path: string, r: Readiness, metrics: Registry, name: string): Promise<Response | null> {
  if (path === "/health") return Response.json({ status: "ok", name });
  if (path === "/ready") {
    const ok = await r.ready();
    return Response.json({ ready: ok }, { status: ok ? 200 : 503 });
  }
  if (path === "/metrics") return new Response(await metrics.metrics(), { headers: { "content-type": metrics.contentType } });
  return null;
}

/** A service's own small port for probes and scraping. */
export function startOpsServer(opts: { port: number; name: string; readiness: Readiness; metrics: Registry }) {
  return Bun.serve({
    port: opts.port,
    hostname: "0.0.0.0",
    async fetch(req) {
      const path = new URL(req.url).pathname;
      return (await opsResponse(path, opts.readiness, opts.metrics, opts.name)) ?? Response.json({ error: { code: "NOT_FOUND", message: "no such route" } }, { status: 404 });
    },
  });
}
