import { AppError, Call, CallRef, TurnCredentials } from "@rt/contracts";
import { createServiceApp, requireUser, route, valid, type Logger, type PlatformConfig } from "@rt/service-kit";
import { getCall, type CallsDeps } from "./calls.ts";
import { turnCredentials } from "./turn.ts";

export function callsRoutes(deps: CallsDeps & { log: Logger; config: PlatformConfig }) {
  const app = createServiceApp(deps.log);
  const { TURN_URLS: urls, TURN_SECRET: secret, TURN_TTL: ttlSeconds } = deps.config;
  const turn = secret && urls.length > 0 ? { urls, secret, ttlSeconds } : undefined;
  // Before /:callId, which would otherwise take "turn-credentials" as an id.
  const turnDoc = route({
    summary: "Time-limited TURN credentials for the caller (TURN REST API format, coturn use-auth-secret)",
    tags: ["calls"],
    auth: ["bearer"],
    responses: { 200: TurnCredentials },
    errors: ["NOT_FOUND"],
  });
  app.get("/api/calls/turn-credentials", turnDoc, (c) => {
    const ctx = requireUser(c);
    if (!turn) throw new AppError("NOT_FOUND", "TURN is not configured on this platform (TURN_URLS, TURN_SECRET)");
    return c.json(turnCredentials(turn, ctx.userId));
  });
  const doc = route({
    summary: "A call with its participants (room members only)",
    tags: ["calls"],
    auth: ["bearer"],
    responses: { 200: Call },
    errors: ["FORBIDDEN", "NOT_FOUND"],
  });
  app.get("/api/calls/:callId", doc, valid("param", CallRef), async (c) => {
    const ctx = requireUser(c);
    return c.json(await getCall(deps, ctx, c.req.valid("param").callId));
  });
  return app;
}
