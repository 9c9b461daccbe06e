import { Semaphore, withTimeout } from "async-mutex";
import { DeliveryEnvelope, subjects, type Principal } from "@rt/contracts";
import type { Bus, LogEntry, Subscription } from "@rt/bus";
import type { Logger } from "@rt/service-kit";
import { SpanKind, closeSpan, openRemoteChild } from "@rt/tracing";
import { RecentIds } from "./dedupe.ts";
import { enableTopicFanout } from "./fanout.ts";
import { eventLabel, type GatewayMetrics } from "../metrics.ts";
import { roomsFor } from "./rooms.ts";
import { grantedRooms } from "../inbound/session.ts";
import { startFresh, type createRecoveryAdapter, type RecoveryAdapter } from "./recovery.ts";
import { Replay } from "./replay.ts";
import type { Gateway, GatewayServer, GatewaySocket } from "../types.ts";

/** Socket.IO EVENT packet type. */
const EVENT = 2;

/** One envelope delivered live, at its log position. */
export interface Delivered {
  seq: number;
  env: DeliveryEnvelope;
  /** Size of the logged envelope. */
  bytes: number;
}

/** What a replay hands over to: the live delivery of one tenant on this gateway. */
export interface Delivery {
  /** The last delivery-log position of this tenant delivered to local sockets (or where following began). */
  position(): number;
  /**
   * Every envelope of the tenant delivered live after `after`, in log order, when this gateway
   * still holds all of them (the last RECENT_DELIVERIES); null when `after` is older. Read and
   * joined in one tick, it hands a recovering socket over to live delivery with nothing missed or doubled.
   */
  deliveredAfter(after: number): Delivered[] | null;
  /**
   * Keep every delivery after `after` (none trimmed) until the returned function is called or
   * `untilMs` (epoch ms) passes: a replay that started at `after` then always hands over from here.
   */
  keep(after: number, untilMs: number): () => void;
}

/** How many delivered envelopes a gateway keeps per tenant for the last step of a replay (a fraction of a second under load). */
export const RECENT_DELIVERIES = 4096;

/** Every packet one envelope becomes: the event, plus `notification` beside `notification:new` (LEGACY_ALIASES). */
export function packetsOf(config: Gateway["config"], env: DeliveryEnvelope, seq: number): unknown[][] {
  const offset = String(seq);
  const out = [[env.event, env.data, offset]];
  if (env.event === "notification:new" && config.LEGACY_ALIASES) out.push(["notification", env.data, offset]);
  return out;
}

/** Whether a broadcast reaches at least one local socket (a member of its rooms not excepted). */
function reachesLocal(byRoom: Map<string, Set<string>>, opts: { rooms: Set<string>; except: Set<string> }): boolean {
  for (const room of opts.rooms) for (const sid of byRoom.get(room) ?? []) if (!opts.except.has(sid)) return true;
  return false;
}

export interface DeliveryLogDeps {
  /** This gateway's id (traces). */
  gatewayId: string;
  bus: Bus;
  io: GatewayServer;
  config: Gateway["config"];
  log: Logger;
  metrics: GatewayMetrics;
  /** The recovery adapter class the Socket.IO server was built with (sessions, claims). */
  recovery: ReturnType<typeof createRecoveryAdapter>;
}

/** How long a recovering socket waits for one of the RECOVERY_MAX_CONCURRENT replay slots before it starts fresh. */
const REPLAY_QUEUE_MS = 5000;

/** The live deliveries of one tenant: its filtered tail of the log and what it delivered last. */
class TenantTail implements Delivery {
  /** Sockets of the tenant on this gateway (and replays in progress). */
  holders = 0;
  /** Set while nobody holds the tail: it stops when this fires. */
  dropTimer: ReturnType<typeof setTimeout> | undefined;
  sub: Subscription | undefined;
  private last = 0;
  // Delivered envelopes after `floor`, oldest first; trimmed in halves so a push stays O(1).
  private recent: Delivered[] = [];
  private floor = 0;
  private readonly keeps = new Set<{ after: number; untilMs: number }>();

  /** Following from log position `startSeq` on (its later entries of the tenant all arrive). */
  begin(startSeq: number) {
    this.last = Math.max(this.last, startSeq);
    this.floor = Math.max(this.floor, startSeq);
  }

  delivered(d: Delivered) {
    this.last = d.seq;
    this.recent.push(d);
    if (this.recent.length > 2 * RECENT_DELIVERIES) this.trim();
  }

  /** Drop the oldest half, but nothing a replay keeps (a keep past its time no longer counts). */
  private trim() {
    let cut = this.recent.length - RECENT_DELIVERIES;
    const now = Date.now();
    for (const k of this.keeps) {
      if (k.untilMs < now) this.keeps.delete(k);
      else cut = Math.min(cut, this.indexAfter(k.after));
    }
    if (cut <= 0) return;
    this.floor = this.recent[cut - 1]!.seq;
    this.recent = this.recent.slice(cut);
  }

  keep = (after: number, untilMs: number): (() => void) => {
    const k = { after, untilMs };
    this.keeps.add(k);
    return () => void this.keeps.delete(k);
  };

  /** A position seen without a delivery (a duplicate, a malformed envelope). */
  passed(seq: number) {
    this.last = seq;
  }

  position = () => this.last;

  deliveredAfter = (after: number): Delivered[] | null => (after < this.floor ? null : this.recent.slice(this.indexAfter(after)));

  /** Binary search for the first entry past `after`. */
  private indexAfter(after: number): number {
    let lo = 0;
    let hi = this.recent.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.recent[mid]!.seq <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * The delivery log as this gateway reads it — live delivery to rooms (fan-out, once per id) and
 * recovery (replay, then handover to live) — for only the tenants it has sockets of. Each such tenant
 * has its own ordered, filtered tail of the log (`rt.deliver.<tenant>.>`), started before the
 * tenant's first socket joins a room (`follow`, awaited in the handshake) and stopped
 * DELIVERY_TENANT_GRACE_MS after its last socket left. Positions stay those of the whole log (a
 * JetStream stream sequence), the same on every gateway, so recovery works anywhere. Each envelope
 * is delivered once per id, each packet carrying its log position as the recovery offset, to the
 * rooms of the envelope's tenant, which must be the tenant of the tail it came by.
 */
export class DeliveryLog {
  private readonly tails = new Map<string, TenantTail>();
  private readonly starting = new Map<string, Promise<TenantTail>>();
  /** The tenant each local socket holds. */
  private readonly holding = new Map<string, { tenantId: string; counted: boolean }>();
  private readonly seen = new RecentIds();
  private stopped = false;
  // A herd of reconnects (a gateway died) replays a few at a time: memory is at most this many bounded replays.
  private readonly replaySlots;

  constructor(private readonly deps: DeliveryLogDeps) {
    this.replaySlots = withTimeout(new Semaphore(deps.config.RECOVERY_MAX_CONCURRENT), REPLAY_QUEUE_MS);
    // Plain room broadcasts go out through Bun topics (fanout.ts); everything else as before.
    if (deps.config.GATEWAY_TOPIC_FANOUT) enableTopicFanout(deps.io);
  }

  /**
   * Follow the tenant's deliveries (if not yet) and resolve once its tail is running: whatever is
   * logged for it from then on reaches its local rooms. Unheld, the tail stops after the grace period.
   */
  follow(tenantId: string): Promise<Delivery> {
    const running = this.tails.get(tenantId);
    if (running) return Promise.resolve(running);
    let p = this.starting.get(tenantId);
    if (!p) {
      p = this.start(tenantId).finally(() => this.starting.delete(tenantId));
      this.starting.set(tenantId, p);
    }
    return p;
  }

  /** A socket of the tenant is here (idempotent per socket): its tenant stays followed until `release`. */
  hold(socketId: string, tenantId: string): void {
    if (this.holding.get(socketId)?.tenantId === tenantId) return;
    this.release(socketId);
    const hold = { tenantId, counted: false };
    this.holding.set(socketId, hold);
    const count = () => {
      if (this.holding.get(socketId) !== hold || !this.take(tenantId)) return false;
      hold.counted = true;
      return true;
    };
    // Not followed yet (a session started without the handshake's `follow`): start now.
    if (!count()) void this.follow(tenantId).then(count, (err) => this.deps.log.warn({ err: String(err), tenantId }, "delivery tail did not start"));
  }

  /** The socket is gone (or no longer holds): its tenant's tail stops a grace period after its last holder. */
  release(socketId: string): void {
    const hold = this.holding.get(socketId);
    if (!hold) return;
    this.holding.delete(socketId);
    if (hold.counted) this.give(hold.tenantId);
  }

  /** Hold the tenant's tail for something other than a socket (a replay); the returned function lets go once. */
  async pin(tenantId: string): Promise<{ delivery: Delivery; unpin: () => void }> {
    const delivery = await this.follow(tenantId);
    // Resolved in this tick, so the tail is still running (its drop timer runs later).
    let held = this.take(tenantId);
    return {
      delivery,
      unpin: () => {
        if (held) this.give(tenantId);
        held = false;
      },
    };
  }

  /**
   * Handshake step of a restored socket whose owner is verified: wait for a replay slot, then read
   * ahead what it missed. A gap past RECOVERY_MAX_EVENTS / _BYTES, an offset the log no longer
   * holds, or no slot within REPLAY_QUEUE_MS: a fresh session (`recovered` false; the client SDK
   * re-joins and re-fetches), and the old session is dropped.
   */
  async prepareReplay(socket: GatewaySocket, p: Principal): Promise<void> {
    const { config, metrics, log, bus, recovery: RecoveryAdapter } = this.deps;
    const recovery = this.recovery();
    const claim = recovery.claims.get(socket.id);
    if (!claim) return;
    const refuse = (reason: string) => {
      const pid = (socket as unknown as { pid?: string }).pid;
      startFresh(recovery, socket, reason, p, log);
      RecoveryAdapter.forget(pid);
    };
    let release: () => void;
    try {
      [, release] = await this.replaySlots.acquire();
    } catch {
      return refuse("no replay slot free");
    }
    metrics.replays.inc();
    // The tenant stays followed while the replay runs, whatever its sockets do meanwhile.
    const tenant = await this.pin(p.tenantId).catch((err) => {
      metrics.replays.dec();
      release();
      throw err;
    });
    let held = true;
    claim.release = () => {
      if (!held) return;
      held = false;
      tenant.unpin();
      metrics.replays.dec();
      release();
    };
    // A client gone before the connection step never reaches resume(): its slot is freed here.
    if (socket.conn.readyState !== "open") {
      recovery.unclaim(socket.id);
      return;
    }
    socket.conn.once("close", claim.release);
    const stored = claim.session;
    claim.pending = grantedRooms(stored.rooms, p, config);
    const plan = { principal: p, sid: stored.sid, after: claim.after, replayRooms: new Set(stored.rooms.filter((r) => claim.pending!.includes(r))) };
    claim.replay = new Replay({ bus, delivery: tenant.delivery, packetsOf: (env, seq) => packetsOf(config, env, seq), firstSeq: (id) => this.seen.firstSeq(id) }, plan, {
      maxEvents: config.RECOVERY_MAX_EVENTS,
      maxBytes: config.RECOVERY_MAX_BYTES,
    });
    const refused = await claim.replay.readAhead();
    if (refused) refuse(refused);
  }

  /**
   * The connection step of a restored socket (`startSession` makes it a session, joining its
   * rooms or not) — its owner checked and its replay read ahead by the
   * middleware —: the session's chat room and rooms as the new token grants them, then the rest of
   * the replay, joining the rooms when it reaches the live position. A replay that cannot complete
   * drops the session and closes the transport: the client comes back to a fresh session (and rejoins).
   */
  resume(socket: GatewaySocket, startSession: (joinRooms: boolean) => void): void {
    const { log, recovery: RecoveryAdapter } = this.deps;
    const recovery = this.recovery();
    const p = socket.data.principal!;
    const claim = recovery.claims.get(socket.id);
    if (!claim?.replay) {
      startSession(true);
      return;
    }
    const stored = claim.session;
    socket.data.chatRoom = stored.data.chatRoom;
    socket.data.since = stored.data.since ?? socket.data.since;
    const rooms = claim.pending ?? [];
    startSession(false);
    const join = () => {
      // What the session still has: rooms left during the replay are gone from `pending`.
      const now = claim.pending ?? rooms;
      recovery.unclaim(socket.id);
      socket.join(now);
    };
    const drop = (why: string) => {
      if (!socket.connected) return;
      log.warn({ socketId: socket.id, userId: p.userId, why }, "replay failed, session dropped");
      recovery.unclaim(socket.id);
      RecoveryAdapter.forget((socket as unknown as { pid?: string }).pid);
      // Not persisted again on this close (no principal): the client's next handshake is fresh.
      socket.data.principal = null;
      socket.conn.close();
    };
    claim.replay
      .run(socket, join)
      .then((ok) => ok || drop("log no longer holds the offset, or the replay could not catch up"))
      .catch((err) => drop(String(err)))
      .finally(() => claim.release?.());
  }

  private recovery(): RecoveryAdapter {
    return this.deps.io.of("/").adapter as unknown as RecoveryAdapter;
  }

  /** Tenants followed now. */
  tenants(): string[] {
    return [...this.tails.keys()];
  }

  stop(): void {
    this.stopped = true;
    for (const tail of this.tails.values()) {
      clearTimeout(tail.dropTimer);
      tail.sub?.unsubscribe();
    }
    this.tails.clear();
    this.deps.metrics.logTenants.set(0);
  }

  /** One more holder of a running tail; false when the tenant is not followed. */
  private take(tenantId: string): boolean {
    const tail = this.tails.get(tenantId);
    if (!tail) return false;
    tail.holders++;
    clearTimeout(tail.dropTimer);
    tail.dropTimer = undefined;
    return true;
  }

  private give(tenantId: string) {
    const tail = this.tails.get(tenantId);
    if (!tail) return;
    tail.holders = Math.max(0, tail.holders - 1);
    if (tail.holders === 0) this.scheduleDrop(tenantId, tail);
  }

  private scheduleDrop(tenantId: string, tail: TenantTail) {
    clearTimeout(tail.dropTimer);
    tail.dropTimer = setTimeout(() => {
      if (tail.holders > 0 || this.tails.get(tenantId) !== tail) return;
      this.tails.delete(tenantId);
      tail.sub?.unsubscribe();
      this.deps.metrics.logTenants.set(this.tails.size);
      this.deps.log.debug({ tenantId }, "stopped following tenant deliveries");
    }, this.deps.config.DELIVERY_TENANT_GRACE_MS);
    tail.dropTimer.unref?.();
  }

  private async start(tenantId: string): Promise<TenantTail> {
    if (this.stopped) throw new Error("delivery stopped");
    const tail = new TenantTail();
    const sub = await this.deps.bus.tailLog(subjects.deliverTenant(tenantId), (e) => this.onEntry(tenantId, tail, e));
    tail.sub = sub;
    tail.begin(sub.startSeq);
    if (this.stopped) {
      sub.unsubscribe();
      throw new Error("delivery stopped");
    }
    this.tails.set(tenantId, tail);
    this.deps.metrics.logTenants.set(this.tails.size);
    // Followed for a handshake that may never become a socket: dropped unless someone holds it.
    this.scheduleDrop(tenantId, tail);
    return tail;
  }

  private onEntry(tenantId: string, tail: TenantTail, e: LogEntry) {
    const { metrics, log, io, config } = this.deps;
    metrics.logReceived.inc();
    const parsed = DeliveryEnvelope.safeParse(e.data);
    if (!parsed.success) {
      tail.passed(e.seq);
      log.warn({ seq: e.seq, issues: parsed.error.issues.length }, "dropped malformed delivery envelope");
      return;
    }
    const env = parsed.data;
    if (env.tenantId !== tenantId) {
      // The subject names the tenant whose sockets may get it; an envelope of another is refused.
      tail.passed(e.seq);
      log.warn({ seq: e.seq, subject: e.subject }, "dropped delivery envelope whose tenant is not its subject's");
      return;
    }
    if (!this.seen.add(env.id, e.seq)) return tail.passed(e.seq);
    const adapter = io.of("/").adapter;
    const opts = {
      rooms: new Set(roomsFor(env.tenantId, env.target, env.data)),
      except: new Set(env.exceptSocketId ? [env.exceptSocketId] : []),
      flags: {},
    };
    if (reachesLocal(adapter.rooms, opts)) metrics.logDelivered.inc();
    // The envelope names the span that published it: this gateway's delivery joins that trace.
    const span = openRemoteChild(env.traceparent, `deliver ${env.event}`, SpanKind.CONSUMER, { "rt.target": env.target.kind, "rt.gateway": this.deps.gatewayId });
    for (const data of packetsOf(config, env, e.seq)) adapter.broadcast({ type: EVENT, data, nsp: "/" }, opts);
    closeSpan(span, "OK");
    tail.delivered({ seq: e.seq, env, bytes: e.bytes });
    metrics.eventsOut.inc({ event: eventLabel(env.event) });
    log.debug({ traceId: env.traceId, event: env.event, id: env.id, target: env.target.kind }, "delivered");
  }
}
