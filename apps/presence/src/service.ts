import {
  GATEWAY_TIMEOUT_MS,
  Heartbeat,
  PresenceDelta,
  SnapshotPage,
  actions,
  subjects,
  type SvcContext,
} from "@rt/contracts";
import { deliver, serveActions, type RunningService, type ServiceDeps } from "@rt/service-kit";
import { PresenceRegistry, type PresenceChange } from "./registry.ts";

const SNAPSHOT_PAGE = 2000;
/** After a start, snapshots rebuild the view without announcing everyone as newly online. */
const WARMUP_MS = 2 * 1000;

/**
 * Every replica listens to every gateway (no queue group) so each holds the whole view; the
 * online/offline events they publish carry the same id, so gateways deliver each once.
 */
export function createPresenceService({ bus, log, metrics }: Pick<ServiceDeps, "bus" | "log" | "metrics">): RunningService {
  const registry = new PresenceRegistry();
  const startedAt = Date.now();
  const syncing = new Set<string>();

  const announce = (changes: PresenceChange[], fromSnapshot = false) => {
    if (fromSnapshot && Date.now() - startedAt < WARMUP_MS) return;
    for (const c of changes) {
      const s = c.socket;
      const timestamp = new Date().toISOString();
      deliver(bus, {
        // Same id from every replica (they all saw this connection), new for every connection.
        id: `${c.kind}:${s.connId}`,
        tenantId: s.tenantId,
        target: { kind: "tenant" },
        event: c.kind === "online" ? "user:online" : "user:offline",
        data: c.kind === "online" ? { userId: s.userId, socketId: s.socketId, timestamp } : { userId: s.userId, timestamp },
      });
    }
  };

  async function resync(gatewayId: string) {
    if (syncing.has(gatewayId)) return;
    syncing.add(gatewayId);
    try {
      const all = [];
      for (let offset = 0; ; offset += SNAPSHOT_PAGE) {
        const page = SnapshotPage.parse(await bus.request(subjects.gatewaySnapshot(gatewayId), { offset, limit: SNAPSHOT_PAGE }));
        all.push(...page.sockets);
        if (offset + SNAPSHOT_PAGE >= page.total) break;
      }
      announce(registry.replace(gatewayId, all), true);
    } finally {
      syncing.delete(gatewayId);
    }
  }

  const subs = [
    bus.subscribe(subjects.presenceDeltaAll, (raw) => {
      const d = PresenceDelta.parse(raw);
      announce(d.op === "connect" ? registry.add(d.gatewayId, d.socket) : registry.remove(d.gatewayId, d.socket.socketId));
    }),
    bus.subscribe(subjects.heartbeatAll, async (raw) => {
      const hb = Heartbeat.parse(raw);
      if (!registry.beat(hb.gatewayId, hb.digest, hb.socketCount)) await resync(hb.gatewayId);
    }),
    serveActions(
      bus,
      "presence",
      {
        [actions.presence.list]: (ctx: SvcContext) => ({ users: registry.list(ctx.tenantId) }),
        [actions.presence.count]: (ctx: SvcContext, data) =>
          (data as { scope?: string } | null)?.scope === "tenant"
            ? { connectedClients: registry.tenantClients(ctx.tenantId) }
            : { connectedClients: registry.connectedClients() },
      },
      log,
      metrics,
    ),
  ];
  const sweeper = setInterval(() => announce(registry.sweep(GATEWAY_TIMEOUT_MS)), 500);

  return {
    async stop() {
      clearInterval(sweeper);
      subs.forEach((s) => s.unsubscribe());
    },
  };
}
