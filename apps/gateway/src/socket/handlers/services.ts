import { actions, PresenceList } from "@rt/contracts";
import { forward } from "../../forward.ts";
import type { HandlerTable } from "../types.ts";

/** Events whose whole logic is a service's: validated here, answered there. */
export const serviceHandlers: HandlerTable = {
  "presence:list": async (gw, _s, _i, ctx) => PresenceList.parse(await forward(gw, "presence", actions.presence.list, ctx, {})),

  "call:initiated": (gw, _s, input, ctx) => forward(gw, "calls", actions.calls.initiate, ctx, input),
  "call:answered": (gw, _s, input, ctx) => forward(gw, "calls", actions.calls.answer, ctx, input),
  "call:ended": (gw, _s, input, ctx) => forward(gw, "calls", actions.calls.end, ctx, input),

  "job:start": (gw, _s, input, ctx) => forward(gw, "jobs", actions.jobs.start, ctx, input),
  "job:complete": (gw, _s, input, ctx) => forward(gw, "jobs", actions.jobs.complete, ctx, input),
  "test:create-job": (gw, _s, input, ctx) => forward(gw, "jobs", actions.jobs.create, ctx, input),
  "test:assign-job": (gw, _s, input, ctx) => forward(gw, "jobs", actions.jobs.assign, ctx, input),

  "notification:read": (gw, _s, input, ctx) => forward(gw, "notifications", actions.notifications.read, ctx, input),
  "notification:read-all": (gw, _s, input, ctx) => forward(gw, "notifications", actions.notifications.readAll, ctx, input),
  "notification:delete": (gw, _s, input, ctx) => forward(gw, "notifications", actions.notifications.remove, ctx, input),
  "test:notification": (gw, _s, input, ctx) => forward(gw, "notifications", actions.notifications.create, ctx, input),
};
