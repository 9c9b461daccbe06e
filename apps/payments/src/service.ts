import { serveHttpRelay, type RunningService, type ServiceDeps } from "@rt/service-kit";
import { paymentsRoutes } from "./routes.ts";

/** Payments has no socket actions: webhooks and invoice reads come over HTTP, updates go out as deliveries. */
export function createPaymentsService(deps: ServiceDeps): RunningService {
  const httpSub = serveHttpRelay(deps.bus, "payments", paymentsRoutes(deps), deps.log, deps.metrics);
  return {
    async stop() {
      httpSub.unsubscribe();
    },
  };
}
