import { fileURLToPath } from "node:url";
import { defineService } from "@rt/service-kit";
import { answerCall, endCall, initiateCall } from "./calls.ts";
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
      },
      http: callsRoutes(deps),
    };
  },
});
