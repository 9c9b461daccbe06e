import { fileURLToPath } from "node:url";
import { defineService } from "@rt/service-kit";
import { paymentsRoutes } from "./routes.ts";

/** Payments has no socket actions: webhooks and invoice reads come over HTTP, updates go out as deliveries. */
export const paymentsService = defineService({
  name: "payments",
  migrations: fileURLToPath(new URL("../drizzle", import.meta.url)),
  create: (deps) => ({ actions: {}, http: paymentsRoutes(deps) }),
});
