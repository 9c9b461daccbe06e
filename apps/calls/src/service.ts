import { fileURLToPath } from "node:url";
import { UserGone, subjects } from "@rt/contracts";
import { defineService } from "@rt/service-kit";
import { answerCall, endCall, initiateCall, leaveAllCalls, leaveCall, listParticipants, relaySignal } from "./calls.ts";
import { callsRoutes } from "./routes.ts";

export const callsService = defineService({
  name: "calls",
  migrations: fileURLToPath(new URL("../drizzle", import.meta.url)),
  create(deps) {
    return {
      actions: {
        "call:initiated": (ctx, input) => initiateCall(deps, ctx, input),
        "call:answered": (ctx, { callId }) => answerCall(deps, ctx, callId),
        "call:ended": (ctx, { callId }) => endCall(deps, ctx, callId),
        "call:leave": (ctx, { callId }) => leaveCall(deps, ctx, callId),
        "call:participants": (ctx, { callId }) => listParticipants(deps, ctx, callId),
        "call:signal": (ctx, input) => relaySignal(deps, ctx, input),
      },
      http: callsRoutes(deps),
      // A user whose last socket closed leaves their calls; one replica per fact (queue group),
      // and a repeat (each presence replica sends it) finds nothing left to leave.
      subscriptions: [
        deps.bus.subscribe(
          subjects.userGoneAll,
          async (raw) => {
            const gone = UserGone.safeParse(raw);
            if (!gone.success) return deps.log.warn("dropped malformed user-gone fact");
            try {
              await leaveAllCalls(deps, gone.data.tenantId, gone.data.userId);
            } catch (err) {
              deps.log.error({ err, userId: gone.data.userId }, "leaving calls of a gone user failed");
            }
          },
          { queue: "calls" },
        ),
      ],
    };
  },
});
