import { Adapter, type Room, type Session, type SocketId } from "socket.io-adapter";
import { DeliveryEnvelope, subjects, type Principal } from "@rt/contracts";
import type { Bus, KvStore, LogEntry } from "@rt/bus";
import type { Logger } from "@rt/service-kit";
import { roomsFor } from "./rooms.ts";
import type { SocketData } from "./socket/types.ts";

/** KV bucket of socket sessions (rooms and data), readable by every gateway. */
export const SESSIONS_BUCKET = "rt_sessions";

interface StoredSession {
  sid: string;
  pid: string;
  rooms: string[];
  data: SocketData;
  /** Set when the socket closed cleanly enough for socket.io to persist it; absent if its gateway died. */
  disconnectedAt?: number;
}

/** The Socket.IO packet data of one delivery: event, payload, and the log position as offset. */
export function packetData(env: DeliveryEnvelope, seq: number, event: string = env.event): unknown[] {
  return [event, env.data, String(seq)];
}

export interface RecoveryDeps {
  bus: Bus;
  log: Logger;
  recoveryMs: number;
  /** The last log position this gateway has delivered live. */
  position(): number;
  /** Every packet of one envelope (the event, plus legacy aliases). */
  packetsOf(env: DeliveryEnvelope, seq: number): unknown[][];
}

/**
 * Connection state recovery that works across gateways. Offsets are positions in the delivery
 * log (NATS JetStream in cluster mode), the same on every gateway; sessions (rooms, data) are kept
 * in a KV bucket from connect on, so a gateway killed without a goodbye still leaves them behind.
 * A reconnect to any gateway within the window replays, in log order, what the socket's rooms got.
 */
export function createRecoveryAdapter(deps: RecoveryDeps) {
  let kvP: Promise<KvStore> | null = null;
  // Sessions outlive the recovery window of a live socket: the KV ttl bounds what a dead gateway leaves.
  const kv = () => (kvP ??= deps.bus.kv(SESSIONS_BUCKET, { ttlMs: 24 * 3600_000 }));
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

  return class RecoveryAdapter extends Adapter {
    /** Resolves when every session write started so far has landed. */
    static async settle(): Promise<void> {
      await Promise.allSettled([...writes]);
    }

    private pending = new Set<SocketId>();
    private flushTimer: ReturnType<typeof setTimeout> | null = null;

    override addAll(id: SocketId, rooms: Set<Room>): void {
      super.addAll(id, rooms);
      this.touch(id);
    }

    override del(id: SocketId, room: Room): void {
      super.del(id, room);
      this.touch(id);
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

    private save(id: SocketId) {
      const socket = this.nsp.sockets.get(id) as { pid?: string; data: SocketData } | undefined;
      const rooms = this.sids.get(id);
      if (!socket?.pid || !socket.data?.principal || !rooms) return;
      const session: StoredSession = { sid: id, pid: socket.pid, rooms: [...rooms], data: socket.data };
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
      const stored: StoredSession = { sid: session.sid, pid: session.pid, rooms: [...session.rooms], data, disconnectedAt: Date.now() };
      write(session.pid, (s) => s.put(session.pid, stored));
    }

    /** The base type says Session; socket.io treats null as "not recoverable". */
    override async restoreSession(pid: string, offset: string): Promise<Session> {
      return (await this.recover(pid, offset)) as Session;
    }

    private async recover(pid: string, offset: string): Promise<Session | null> {
      const store = await kv();
      const s = (await store.get(pid)) as StoredSession | null;
      if (!s?.data?.principal) return null;
      if (s.disconnectedAt !== undefined && Date.now() - s.disconnectedAt > deps.recoveryMs) return null;
      if (s.data.exp !== undefined && s.data.exp * 1000 <= Date.now()) return null;
      const after = Number(offset);
      if (!Number.isSafeInteger(after) || after < 0) return null;
      const missed = await replay(deps, s, after);
      if (!missed) return null;
      return { sid: s.sid, pid: s.pid, rooms: s.rooms, data: s.data, missedPackets: missed };
    }
  };
}

/**
 * What a session's rooms received after `after`, up to this gateway's live position. The position
 * is re-read until it stops moving, and the caller joins the rooms in the same tick, so no live
 * delivery falls between replay and the restored socket.
 */
async function replay(deps: RecoveryDeps, s: StoredSession, after: number): Promise<unknown[][] | null> {
  const principal = s.data.principal as Principal;
  const filter = subjects.deliverTenant(principal.tenantId);
  const rooms = new Set(s.rooms);
  const seen = new Set<string>();
  const out: unknown[][] = [];
  let from = after;
  for (let round = 0; round < 10; round++) {
    const until = deps.position();
    if (until <= from) return out;
    const entries: LogEntry[] | null = await deps.bus.readLog(filter, from, until);
    if (!entries) return null;
    for (const e of entries) {
      const env = DeliveryEnvelope.safeParse(e.data);
      if (!env.success || env.data.tenantId !== principal.tenantId || seen.has(env.data.id)) continue;
      seen.add(env.data.id);
      if (env.data.exceptSocketId === s.sid) continue;
      if (!roomsFor(env.data.tenantId, env.data.target, env.data.data).some((r) => rooms.has(r))) continue;
      out.push(...deps.packetsOf(env.data, e.seq));
    }
    from = until;
  }
  return out;
}
