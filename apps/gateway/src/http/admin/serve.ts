import {
  AdminCountsInput,
  AdminDisconnectInput,
  AdminLeaveInput,
  AdminListInput,
  AdminRequest,
  AdminRoomsInput,
  parseAdminInput,
  subjects,
  type AdminOp,
  type SvcReply,
} from "@rt/contracts";
import { toErrorBody } from "@rt/service-kit";
import type { Subscription } from "@rt/bus";
import type { Gateway } from "../../types.ts";
import { countsLocal, disconnectLocal, leaveLocal, listLocal, roomsLocal, statsLocal } from "./local.ts";

const ops: Record<AdminOp, (gw: Gateway, input: unknown) => unknown> = {
  list: (gw, i) => listLocal(gw, parseAdminInput(AdminListInput, i)),
  disconnect: (gw, i) => disconnectLocal(gw, parseAdminInput(AdminDisconnectInput, i)),
  leave: (gw, i) => leaveLocal(gw, parseAdminInput(AdminLeaveInput, i)),
  counts: (gw, i) => countsLocal(gw, parseAdminInput(AdminCountsInput, i)),
  rooms: (gw, i) => roomsLocal(gw, parseAdminInput(AdminRoomsInput, i)),
  stats: (gw) => statsLocal(gw),
};

/** Mutations are logged at info, reads at debug; each line names the actor. */
const MUTATIONS = new Set<AdminOp>(["disconnect", "leave"]);

/**
 * Answer the cluster-wide admin API for this gateway's own sockets on `rt.gwadmin.<id>.<op>`.
 * Whoever reaches the bus is trusted (the HTTP routes scope their callers to a tenant first).
 */
export function serveAdmin(gw: Gateway): Subscription {
  const subs = (Object.keys(ops) as AdminOp[]).map((op) =>
    gw.bus.respond(
      subjects.gwAdmin(gw.id, op),
      async (raw): Promise<SvcReply> => {
        try {
          const req = parseAdminInput(AdminRequest, raw);
          const data = await ops[op](gw, req.input);
          gw.log[MUTATIONS.has(op) ? "info" : "debug"]({ actor: req.actor, op, input: req.input, result: MUTATIONS.has(op) ? data : undefined }, "admin action");
          return { ok: true, data };
        } catch (err) {
          return { ok: false, error: toErrorBody(err, gw.log, `admin ${op}`) };
        }
      },
      { queue: `gw-${gw.id}` },
    ),
  );
  return {
    unsubscribe: () => {
      for (const s of subs) s.unsubscribe();
    },
  };
}
