import { Call, CallRef } from "@rt/contracts";
import { createServiceApp, requireUser, route, valid, type Logger } from "@rt/service-kit";
import { getCall, type CallsDeps } from "./calls.ts";

export function callsRoutes(deps: CallsDeps & { log: Logger }) {
  const app = createServiceApp(deps.log);
  const doc = route({ summary: "A call with its participants (room members only)", tags: ["calls"], auth: ["bearer"], responses: { 200: Call }, errors: ["FORBIDDEN", "NOT_FOUND"] });
  app.get("/api/calls/:callId", doc, valid("param", CallRef), async (c) => {
    const ctx = requireUser(c);
    return c.json(await getCall(deps, ctx, c.req.valid("param").callId));
  });
  return app;
}
