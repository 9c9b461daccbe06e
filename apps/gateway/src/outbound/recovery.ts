import { randomBytes } from "node:crypto";
import { Adapter, type Room, type Session, type SocketId } from "socket.io-adapter";
import { AliveReply, AliveRequest, subjects, type Principal } from "@rt/contracts";
import { isBusError, type Bus, type KvEntry, type KvStore, type Subscription } from "@rt/bus";
import { gatewayThere, type Logger } from "@rt/service-kit";
import type { Replay } from "./replay.ts";
import type { GatewaySocket, SocketData } from "../types.ts";

/**
 * KV bucket of socket sessions (rooms and data), readable by every gateway. Keyed by the socket's
 * recovery id (`pid`), `<gatewayId>.<random>` after the gateway it was born on: a gateway sweeps
 * its own prefix only. The pid never changes (the client counts a connect as recovered only if it
 * gets its pid back), so a session recovered elsewhere stays under its birth prefix and names its
 * current gateway in `gatewayId`.
 */
export const SESSIONS_BUCKET = "rt_sessions";
/** KV bucket of the gateways that ever held sessions, so the prefix of one that died is swept too. */
export const GATEWAYS_BUCKET = "rt_gateways";
/** A recovery id: the owning gateway's id (a GATEWAY_ID) and a random part, as a two-token KV key. */
const PID = /^[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{1,64}$/;

export interface StoredSession {
  sid: string;
  pid: string;
  rooms: string[];
  data: SocketData;
  /** The gateway the socket was connected to, asked whether it still is before a restore. */
  gatewayId?: string;
  /** Set when the socket closed cleanly enough for socket.io to persist it; absent if its gateway died. */
  disconnectedAt?: number;
}

/** A session restored by socket.io, waiting for the connection step to check its owner and replay it. */
export interface Claim {
  session: StoredSession;
  /** The client's last log position. */
  after: number;
  /** Rooms the socket will join when the replay hands over (kept in snapshots meanwhile). */
  pending?: string[];
  /** The replay read ahead in the handshake, run in the connection step. */
  replay?: Replay;
  /** Gives back the replay slot this claim holds (idempotent). */
  release?: () => void;
}

export interface RecoveryDeps {
  bus: Bus;
  log: Logger;
  gatewayId: string;
  recoveryMs: number;
  /** How long a session whose socket is gone outlives the window before a sweep removes it. */
  marginMs: number;
  /** How long the session's gateway gets to say whether its socket is still connected. */
  aliveTimeoutMs?: number;
}

/** How long the owning gateway of a session gets to answer `alive`; a silent one keeps its session. */
const ALIVE_TIMEOUT_MS = 1500;

/** socket.io's id format: 20 url-safe characters of randomness. */
export const freshId = () => randomBytes(15).toString("base64url");

/**
 * Connection state recovery that works across gateways and is bound to the session's owner.
 * Offsets are positions in the delivery log (NATS JetStream in cluster mode), the same on every
 * gateway; sessions (rooms, data) are kept in a KV bucket from connect on, so a gateway killed
 * without a goodbye still leaves them behind.
 *
 * socket.io restores a session before any middleware ran (it has no token yet), so the restore
 * here hands it nothing but the socket id and pid: no rooms, no data, no missed packets. The
 * session is held as a claim; the handshake middleware checks the verified token against it
 * (`refuseRecovery`), and the connection step replays and joins its rooms (`replay.ts`). A session
 * whose socket is still connected, here or on the gateway that owns it, is never restored.
 */
export function createRecoveryAdapter(deps: RecoveryDeps) {
  let kvP: Promise<KvStore> | null = null;
  // The bucket's ttl counts from the last write and is bucket-wide (NATS 2.9), so it cannot follow
  // a socket's disconnect: sweeps (`sweep`) remove gone sockets' sessions; the ttl is a backstop.
  const kv = () => (kvP ??= deps.bus.kv(SESSIONS_BUCKET, { ttlMs: 24 * 3600_000 }));
  let gatewaysP: Promise<KvStore> | null = null;
  // Same backstop: a gateway's entry is rewritten every sweep and removed once its prefix is empty.
  const gateways = () => (gatewaysP ??= deps.bus.kv(GATEWAYS_BUCKET, { ttlMs: 24 * 3600_000 }));
  const register = async () => (await gateways()).put(deps.gatewayId, { at: Date.now() });
  const newPid = () => `${deps.gatewayId}.${freshId()}`;
  const fail = (what: string) => (err: unknown) => deps.log.warn({ err: String(err) }, `session ${what} failed`);
  // Session writes still on their way: a gateway shutting down waits for them before it drains.
  const writes = new Set<Promise<void>>();
  // One chain per session, so an older snapshot never lands after a newer one.
  const chains = new Map<string, Promise<void>>();
  const write = (pid: string, op: (s: KvStore) => Promise<void>) => {
    const w = (chains.get(pid) ?? Promise.resolve()).then(async () => op(await kv())).catch(fail("write"));
    chains.set(pid, w);
    writes.add(w);
    void w.finally(() => {
      writes.delete(w);
      if (chains.get(pid) === w) chains.delete(pid);
    });
  };

  /** True when the gateway that owns the session no longer has its socket (or is gone). */
  async function ownerGone(s: StoredSession): Promise<boolean> {
    if (!s.gatewayId || s.gatewayId === deps.gatewayId) return true; // local sockets are checked by the caller
    try {
      const reply = AliveReply.parse(await deps.bus.request(subjects.gatewayAlive(s.gatewayId), { sid: s.sid }, { timeoutMs: deps.aliveTimeoutMs ?? ALIVE_TIMEOUT_MS }));
      return !reply.alive;
    } catch (err) {
      // No responders: that gateway is dead (SIGKILL) and its sockets with it. Anything else is unknown: keep the session.
      return isBusError(err) && err.code === "NO_RESPONDERS";
    }
  }

  const gatewayUp = (id: string) => gatewayThere(deps.bus, id, deps.aliveTimeoutMs ?? ALIVE_TIMEOUT_MS, "sweep");
  /**
   * The registered gateways that precede this one in id order (wrapping) and no longer answer, up to
   * the first that does: each dead gateway's prefix is swept by exactly the next live gateway.
   */
  async function deadPredecessors(isUp: (id: string) => Promise<boolean>): Promise<KvEntry[]> {
    const ids = (await (await gateways()).entries()).sort((a, b) => (a.key < b.key ? -1 : 1));
    const me = ids.findIndex((e) => e.key === deps.gatewayId);
    const dead: KvEntry[] = [];
    for (let k = 1; k < ids.length; k++) {
      const e = ids[(me - k + ids.length) % ids.length]!;
      if (e.key === deps.gatewayId || (await isUp(e.key))) break;
      dead.push(e);
    }
    return dead;
  }
  /** Sessions last seen without a live socket (no disconnect recorded: their gateway died), by key, since when. */
  let orphans = new Map<string, number>();

  return class RecoveryAdapter extends Adapter {
    /** Resolves when every session write started so far has landed. */
    static async settle(): Promise<void> {
      await Promise.allSettled([...writes]);
    }

    /** Record this gateway in the registry before it takes sockets, so its prefix is swept even if it dies. */
    static register(): Promise<void> {
      return register();
    }

    /**
     * Remove the sessions no restore can use any more, once the recovery window plus the margin
     * has passed: a recorded disconnect that long ago, or (no disconnect recorded) a socket that is
     * not connected here although this gateway owns it, or whose gateway no longer answers, since
     * a sweep first saw it so. A gateway reads the sessions born on it (its prefix), and those born
     * on the dead gateways just before it in id order, whose registry entry goes once their prefix
     * is empty: a sweep costs what this gateway holds, not what the cluster holds. A session
     * written meanwhile is kept (the delete is conditional). Returns how many were removed.
     */
    async sweep(now = Date.now()): Promise<number> {
      const store = await kv();
      await register();
      const keep = deps.recoveryMs + deps.marginMs;
      // One alive question per gateway per sweep, whether it is a predecessor or a session's owner.
      const up = new Map<string, Promise<boolean>>();
      const isUp = (id: string) => up.get(id) ?? up.set(id, gatewayUp(id)).get(id)!;
      const seen = new Map<string, number>();
      const part = async (prefix: string) => {
        let swept = 0;
        const entries = await store.entries(prefix);
        for (const e of entries) {
          const s = e.value as Partial<StoredSession> | null;
          let since: number;
          if (typeof s?.disconnectedAt === "number") since = s.disconnectedAt;
          else {
            const owner = s?.gatewayId;
            const live = owner === deps.gatewayId ? !!s?.sid && (this.nsp.sockets.has(s.sid) || this.claims.has(s.sid)) : !!owner && (await isUp(owner));
            if (live) continue;
            since = orphans.get(e.key) ?? now;
            seen.set(e.key, since);
          }
          if (now - since > keep && (await store.deleteIf(e.key, e.revision))) swept++;
        }
        return { swept, left: entries.length - swept };
      };
      let { swept } = await part(deps.gatewayId);
      for (const g of await deadPredecessors(isUp)) {
        const done = await part(g.key);
        swept += done.swept;
        if (done.left === 0) await (await gateways()).deleteIf(g.key, g.revision);
      }
      orphans = seen;
      return swept;
    }

    /** A recovery id under this gateway's prefix. */
    newPid(): string {
      return newPid();
    }

    /** Before its connect packet carries it: a new socket's recovery id, under this gateway's prefix (socket.io's has none). */
    ownPid(socket: { pid?: string; recovered: boolean }): void {
      if (!socket.recovered && !socket.pid?.startsWith(`${deps.gatewayId}.`)) socket.pid = newPid();
    }

    /** Restored sessions by socket id, from the restore until the replay handed over (or the socket went). */
    readonly claims = new Map<SocketId, Claim>();
    private pending = new Set<SocketId>();
    private flushTimer: ReturnType<typeof setTimeout> | null = null;

    override addAll(id: SocketId, rooms: Set<Room>): void {
      super.addAll(id, rooms);
      this.touch(id);
    }

    override del(id: SocketId, room: Room): void {
      super.del(id, room);
      // A room left while the replay runs (leave_room, leave-data-sync) is not joined at the handover.
      const claim = this.claims.get(id);
      if (claim?.pending) claim.pending = claim.pending.filter((r) => r !== room);
      this.touch(id);
    }

    override delAll(id: SocketId): void {
      super.delAll(id);
      this.unclaim(id);
    }

    /** The restore of this socket is over (handed over, refused or gone): drop its claim, free its replay slot. */
    unclaim(id: SocketId): void {
      const claim = this.claims.get(id);
      this.claims.delete(id);
      claim?.release?.();
    }

    /** Room changes are saved in batches: a join of three rooms is one write. */
    private touch(id: SocketId) {
      this.pending.add(id);
      this.flushTimer ??= setTimeout(() => {
        this.flushTimer = null;
        const ids = [...this.pending];
        this.pending.clear();
        for (const sid of ids) this.save(sid);
      }, 20);
    }

    /** The rooms a session has, counting those a replay in progress has yet to join. */
    private roomsOf(id: SocketId, joined: Iterable<Room>): string[] {
      return [...new Set([...joined, ...(this.claims.get(id)?.pending ?? [])])];
    }

    /** Snapshot a connected socket's session, so a restore works even if this gateway dies. */
    save(id: SocketId) {
      const socket = this.nsp.sockets.get(id) as { pid?: string; data: SocketData } | undefined;
      const rooms = this.sids.get(id);
      if (!socket?.pid || !socket.data?.principal || !rooms) return;
      const session: StoredSession = { sid: id, pid: socket.pid, rooms: this.roomsOf(id, rooms), data: socket.data, gatewayId: deps.gatewayId };
      write(socket.pid, (s) => s.put(session.pid, session));
    }

    /** A disconnect socket.io will not recover (the client or the server ended it): its session goes. */
    static forget(pid: string | undefined) {
      if (pid) write(pid, (s) => s.delete(pid));
    }

    /** socket.io calls this on a recoverable disconnect (transport close, ping timeout, shutdown). */
    override persistSession(session: { sid: string; pid: string; rooms: Room[]; data: unknown }): void {
      const data = session.data as SocketData;
      if (!data?.principal) return;
      const stored: StoredSession = {
        sid: session.sid,
        pid: session.pid,
        rooms: this.roomsOf(session.sid, session.rooms),
        data,
        gatewayId: deps.gatewayId,
        disconnectedAt: Date.now(),
      };
      write(session.pid, (s) => s.put(session.pid, stored));
    }

    /**
     * socket.io calls this with the client's pid and offset before any middleware: no token is
     * known yet, so nothing of the session reaches the socket here. The base type says Session;
     * socket.io treats null as "not recoverable" (a fresh session).
     */
    override async restoreSession(pid: string, offset: string): Promise<Session> {
      return (await this.claim(pid, offset)) as Session;
    }

    private async claim(pid: string, offset: string): Promise<Session | null> {
      const after = Number(offset);
      if (!Number.isSafeInteger(after) || after < 0 || !PID.test(pid)) return null;
      const s = (await (await kv()).get(pid)) as StoredSession | null;
      if (!s?.data?.principal) return null;
      if (s.disconnectedAt !== undefined && Date.now() - s.disconnectedAt > deps.recoveryMs) return null;
      if (s.data.exp !== undefined && s.data.exp * 1000 <= Date.now()) return null;
      const gone = await ownerGone(s);
      // Checked after the last await: a socket with this id connected here, or a restore of it in progress.
      if (!gone || this.nsp.sockets.has(s.sid) || this.claims.has(s.sid)) {
        deps.log.info({ reason: "session still connected", socketId: s.sid }, "recovery refused");
        return null;
      }
      this.claims.set(s.sid, { session: s, after });
      return { sid: s.sid, pid: s.pid, rooms: [], data: { since: s.data.since }, missedPackets: [] };
    }
  };
}

export type RecoveryAdapter = InstanceType<ReturnType<typeof createRecoveryAdapter>>;

/**
 * Handshake step of a restored socket, once its token is verified: the session is given back only
 * to its owner (same tenant and user). Otherwise the socket becomes a fresh one (new id and pid,
 * `recovered` false, none of the session's rooms or data) and the refusal is logged. Returns the
 * refusal reason, or null when the owner may have the session.
 */
export function refuseRecovery(adapter: RecoveryAdapter, socket: GatewaySocket, principal: Principal | null, log: Logger): string | null {
  if (!socket.recovered) return null;
  const claim = adapter.claims.get(socket.id);
  const owner = claim?.session.data.principal;
  const reason =
    !claim || !owner
      ? "session gone"
      : !principal
        ? "anonymous"
        : owner.tenantId !== principal.tenantId
          ? "tenant mismatch"
          : owner.userId !== principal.userId
            ? "user mismatch"
            : null;
  if (!reason) return null;
  startFresh(adapter, socket, reason, principal, log);
  return reason;
}

/**
 * Turn a restored socket, before its connect packet, into a fresh one (new id and pid, `recovered`
 * false, none of the session's rooms or data), and log why.
 */
export function startFresh(adapter: RecoveryAdapter, socket: GatewaySocket, reason: string, principal: Principal | null, log: Logger) {
  log.info({ reason, socketId: socket.id, userId: principal?.userId ?? null, tenantId: principal?.tenantId, address: socket.handshake.address }, "recovery refused");
  adapter.unclaim(socket.id);
  // Before the connect packet: the socket takes a new identity, so the stale one stays the owner's.
  // socket.io keys sockets waiting for their middlewares by id (`_preConnectSockets`, private).
  const waiting = (socket.nsp as unknown as { _preConnectSockets: Map<string, GatewaySocket> })._preConnectSockets;
  waiting.delete(socket.id);
  Object.assign(socket, { id: freshId(), pid: adapter.newPid(), recovered: false });
  socket.data = { principal: null, since: new Date().toISOString() };
  waiting.set(socket.id, socket);
}

/** Sweep the session bucket every `everyMs` (±20 %, so gateways do not sweep in step) until stopped. */
export function startSessionSweeper(adapter: RecoveryAdapter, everyMs: number, log: Logger): { stop(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const next = () => {
    if (!stopped) timer = setTimeout(tick, everyMs * (0.8 + Math.random() * 0.4));
  };
  const tick = () =>
    void adapter
      .sweep()
      .then((n) => n && log.debug({ swept: n }, "sessions swept"))
      .catch((err) => log.warn({ err: String(err) }, "session sweep failed"))
      .finally(next);
  next();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** Answer `rt.gw.<id>.alive` for this gateway's sockets. */
export function serveAlive(bus: Bus, gatewayId: string, connected: (sid: string) => boolean): Subscription {
  return bus.respond(subjects.gatewayAlive(gatewayId), (raw) => ({ alive: connected(AliveRequest.parse(raw).sid) }), { queue: `gw-${gatewayId}` });
}
