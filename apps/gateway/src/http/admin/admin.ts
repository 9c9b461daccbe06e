import { Hono } from "hono";
import { AdminApi } from "@rt/sdk";
import type { Gateway } from "../../types.ts";
import { consoleApp } from "./console.ts";
import { adminRoutes } from "./routes.ts";
import { serveAdmin } from "./serve.ts";

export interface RunningAdmin {
  /** `/api/admin/*` and, with ADMIN_CONSOLE=true, `/admin`. */
  app: Hono;
  stop(): void;
}

/**
 * This gateway's part of the cluster-wide server API: it answers for its own sockets on the bus,
 * and its HTTP routes ask every gateway (known from the heartbeats) on behalf of admin callers.
 */
export function startAdmin(gw: Gateway): RunningAdmin {
  const serving = serveAdmin(gw);
  const api = new AdminApi(gw.bus, { actor: `gateway:${gw.id}` });
  const app = new Hono();
  app.route("/api/admin", adminRoutes(gw, api));
  app.route("/admin", consoleApp(gw));
  return {
    app,
    stop() {
      serving.unsubscribe();
      api.close();
    },
  };
}
