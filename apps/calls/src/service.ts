import { actions } from "@rt/contracts";
import { serveActions, serveHttpRelay, type RunningService, type ServiceDeps } from "@rt/service-kit";
import { answerCall, endCall, initiateCall } from "./calls.ts";
import { callsRoutes } from "./routes.ts";

export function createCallsService(deps: ServiceDeps): RunningService {
  const { bus, log, metrics } = deps;
  const actionsSub = serveActions(
    bus,
    "calls",
    {
      [actions.calls.initiate]: (ctx, data) => initiateCall(deps, ctx, data),
      [actions.calls.answer]: (ctx, data) => answerCall(deps, ctx, data),
      [actions.calls.end]: (ctx, data) => endCall(deps, ctx, data),
    },
    log,
    metrics,
  );
  const httpSub = serveHttpRelay(bus, "calls", callsRoutes(deps), log, metrics);
  return {
    async stop() {
      actionsSub.unsubscribe();
      httpSub.unsubscribe();
    },
  };
}
