import { fileURLToPath } from "node:url";
import { Outbox, defineService } from "@rt/service-kit";
import { paymentsRoutes } from "./routes.ts";
import { paymentsOutbox } from "./schema.ts";

/** Payments has no socket actions: webhooks and invoice reads come over HTTP, updates go out as deliveries. */
export const paymentsService = defineService({
  name: "payments",
  migrations: fileURLToPath(new URL("../drizzle", import.meta.url)),
  create(deps) {
    const outbox = new Outbox({ ...deps, table: paymentsOutbox, name: "payments" });
    return { actions: {}, http: paymentsRoutes({ ...deps, outbox }), stop: () => outbox.stop() };
  },
});
