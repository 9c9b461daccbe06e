import { GATEWAY_TIMEOUT_MS, Heartbeat, PresenceDelta, SnapshotPage, subjects, toPresence, toRoom, type UserGone } from "@rt/contracts";
import { defineService, deliver, gatewayThere, requireRoomMember, type ServiceDeps, type ServiceParts } from "@rt/service-kit";
import { PresenceBatcher } from "./batcher.ts";
import { PresenceRegistry, type PresenceChange } from "./registry.ts";

const SNAPSHOT_PAGE = 2000;
/** After a start, snapshots rebuild the view without announcing everyone as newly online. */
const WARMUP_MS = 2 * 1000;
/** How far apart two replicas may cut a change into windows (clock skew plus delivery spread). */
const BATCH_MARGIN_MS = 250;
/** How often silent gateways are looked for. */
const SWEEP_MS = 500;
/**
 * A gateway silent past GATEWAY_TIMEOUT_MS is asked whether it is there: NO_RESPONDERS (its process
 * or connection is gone) drops it at once; a gateway that NATS still holds but that does not answer
 * (too busy to beat: a storm, a long GC, SIGSTOP) is kept up to BUSY_MAX_MS of silence, so a busy
 * gateway's users are not announced offline and online again.
 */
const ALIVE_TIMEOUT_MS = 1000;
const BUSY_MAX_MS = 15 * 1000;

/**
 * Every replica listens to every gateway (no queue group) so each holds the whole view; the
 * online/offline events they publish carry the same id, so gateways deliver each once.
 */
function createPresence({ bus, config, log }: Pick<ServiceDeps, "bus" | "config" | "log">): ServiceParts<"presence"> {
  const registry = new PresenceRegistry();
  const tenantEvents = config.PRESENCE_TENANT_EVENTS;
  const batcher = new PresenceBatcher(config.PRESENCE_BATCH_MS, BATCH_MARGIN_MS);
  const startedAt = Date.now();
  const syncing = new Set<string>();

  const announce = (changes: PresenceChange[], fromSnapshot = false) => {
    if (fromSnapshot && Date.now() - startedAt < WARMUP_MS) return;
    for (const c of changes) {
      const s = c.socket;
      const timestamp = new Date().toISOString();
      // Same id from every replica (they all saw this connection), new for every connection.
      if (c.kind === "room-online" || c.kind === "room-offline") {
        // One id per join of one connection: every replica sends the same, gateways deliver it once.
        const data = { roomId: c.room.roomId, userId: s.userId, timestamp };
        deliver(bus, {
          id: `${c.kind}:${s.connId}:${c.room.seq}`,
          tenantId: s.tenantId,
          target: toRoom(c.room.roomId),
          event: c.kind === "room-online" ? "room:user-online" : "room:user-offline",
          data,
        });
        continue;
      }
      const id = `${c.kind}:${s.connId}`;
      if (tenantEvents) batcher.note(s.tenantId, s.userId);
      if (c.kind === "online") {
        if (tenantEvents) deliver(bus, { id, tenantId: s.tenantId, target: toPresence("user"), event: "user:online", data: { userId: s.userId, socketId: s.socketId, timestamp } });
      } else {
        if (tenantEvents) deliver(bus, { id, tenantId: s.tenantId, target: toPresence("user"), event: "user:offline", data: { userId: s.userId, timestamp } });
        // For services that hold per-user state (calls): the user has no socket left anywhere.
        const gone: UserGone = { id, tenantId: s.tenantId, userId: s.userId, ts: Date.now() };
        bus.publish(subjects.userGone(s.tenantId), gone);
      }
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

  const subscriptions = [
    bus.subscribe(subjects.presenceDeltaAll, (raw) => {
      const d = PresenceDelta.parse(raw);
      const ops = {
        connect: () => registry.add(d.gatewayId, d.socket),
        disconnect: () => registry.remove(d.gatewayId, d.socket.socketId),
        room: () => registry.setRoom(d.gatewayId, d.socket),
      };
      announce(ops[d.op]());
    }),
    bus.subscribe(subjects.heartbeatAll, async (raw) => {
      const hb = Heartbeat.parse(raw);
      if (!registry.beat(hb.gatewayId, hb.digest, hb.socketCount)) await resync(hb.gatewayId);
    }),
  ];
  // A tick that comes late means this process was stalled, and the heartbeats of that time may be
  // queued behind this timer: they get as much longer, so a stall is not taken for dead gateways.
  let lastSweep = Date.now();
  const asking = new Set<string>();
  const sweeper = setInterval(() => {
    const now = Date.now();
    const stalled = Math.max(0, now - lastSweep - SWEEP_MS);
    lastSweep = now;
    for (const { gatewayId, silentMs } of registry.silent(GATEWAY_TIMEOUT_MS + stalled, now)) {
      if (silentMs > BUSY_MAX_MS + stalled) announce(registry.drop(gatewayId));
      else if (!asking.has(gatewayId)) {
        asking.add(gatewayId);
        gatewayThere(bus, gatewayId, ALIVE_TIMEOUT_MS, "presence")
          // Gone, and no beat came while asking: its users go offline now.
          .then((there) => !there && registry.silent(GATEWAY_TIMEOUT_MS).some((g) => g.gatewayId === gatewayId) && announce(registry.drop(gatewayId)))
          .catch((err) => log.error({ err, gatewayId }, "presence: dropping a gone gateway failed"))
          .finally(() => asking.delete(gatewayId));
      }
    }
  }, SWEEP_MS);

  /** Each user once per batch, as they are when it is made; the window number makes the id every replica uses. */
  const flushBatches = () => {
    const timestamp = new Date().toISOString();
    for (const b of batcher.flush()) {
      const data = { online: [] as string[], offline: [] as string[], timestamp };
      for (const userId of b.users) (registry.isOnline(b.tenantId, userId) ? data.online : data.offline).push(userId);
      deliver(bus, { id: `presence-batch:${b.tenantId}:${b.window}`, tenantId: b.tenantId, target: toPresence("batch"), event: "presence:batch", data });
    }
  };
  let batchTimer: ReturnType<typeof setTimeout> | undefined;
  const scheduleBatches = () => {
    batchTimer = setTimeout(() => {
      flushBatches();
      scheduleBatches();
    }, batcher.untilNextWindow() + 1);
  };
  if (tenantEvents) scheduleBatches();

  return {
    actions: {
      "presence:list": (ctx) => ({ users: registry.list(ctx.tenantId) }),
      "room:presence": async (ctx, { roomId }) => {
        await requireRoomMember(bus, ctx, roomId);
        return { online: registry.listRoom(ctx.tenantId, roomId) };
      },
      count: (ctx, { scope }) => (scope === "tenant" ? { connectedClients: registry.tenantClients(ctx.tenantId) } : { connectedClients: registry.connectedClients() }),
    },
    subscriptions,
    stop: () => {
      clearInterval(sweeper);
      clearTimeout(batchTimer);
    },
  };
}

/** Presence keeps no tables: its truth is the gateways' heartbeats. */
export const presenceService = defineService({ name: "presence", create: createPresence });
