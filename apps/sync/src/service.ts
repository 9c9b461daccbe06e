import { fileURLToPath } from "node:url";
import { defineService } from "@rt/service-kit";
import { changesSince, prune, storeChange } from "./sync.ts";

/** How often old changes are pruned. */
const PRUNE_EVERY_MS = 60_000;

/**
 * Sync: keeps every numbered data-change (stored by the gateway's publish path before delivery)
 * and answers `sync:since`, so a client back after the recovery window catches up exactly.
 */
export const syncService = defineService({
  name: "sync",
  migrations: fileURLToPath(new URL("../drizzle", import.meta.url)),
  create(deps) {
    const retentionMs = deps.config.SYNC_RETENTION * 1000;
    const pruner = setInterval(() => {
      prune(deps, new Date(Date.now() - retentionMs)).catch((err) => deps.log.error({ err }, "sync prune failed"));
    }, PRUNE_EVERY_MS);
    return {
      actions: {
        store: (ctx, change) => storeChange(deps, ctx.tenantId, change),
        "sync:since": (ctx, input) => changesSince(deps, ctx, input),
      },
      stop: () => clearInterval(pruner),
    };
  },
});
