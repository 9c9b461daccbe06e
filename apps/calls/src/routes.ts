import { z } from "zod";
import { EntityId } from "@rt/contracts";
import { createServiceApp, requireUser, valid, type Logger } from "@rt/service-kit";
import { getCall, type CallsDeps } from "./calls.ts";

export function callsRoutes(deps: CallsDeps & { log: Logger }) {
  const app = createServiceApp(deps.log);
  app.get("/api/calls/:callId", valid("param", z.object({ callId: EntityId })), async (c) => {
    const ctx = requireUser(c);
    return c.json(await getCall(deps, ctx, c.req.valid("param").callId));
  });
  return app;
}
