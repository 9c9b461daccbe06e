import { DeliveryEnvelope, subjects, type Principal } from "@rt/contracts";
import type { Bus } from "@rt/bus";
import { roomsFor } from "./rooms.ts";
import type { Delivered, Delivery } from "./delivery.ts";
import type { GatewaySocket } from "../types.ts";

/** Socket.IO EVENT packet type. */
const EVENT = 2;
type Writable = { packet(p: { type: number; data: unknown }): void };
/** Log positions read per step: what is read is sent at once, so an interrupted replay still moved the client's offset. */
const CHUNK = 2000;
/** Bytes written to the socket before the replay yields, so its transport drains (the send cap is 2 MiB). */
const SLICE_BYTES = 256 * 1024;
/** A replay that has not reached the live position by then gives up (the log outruns it). */
const MAX_REPLAY_MS = 60_000;

export interface ReplayDeps {
  bus: Bus;
  delivery: Delivery;
  /** Every packet of one envelope (the event, plus legacy aliases). */
  packetsOf(env: DeliveryEnvelope, seq: number): unknown[][];
  /** Where this gateway first delivered an envelope id live, if it remembers it. */
  firstSeq(id: string): number | undefined;
}

/** What one replay may send: past either, the socket is not recovered (RECOVERY_MAX_EVENTS / _BYTES). */
export interface ReplayBound {
  maxEvents: number;
  maxBytes: number;
}

export interface ReplayPlan {
  principal: Principal;
  /** The socket id the session had: deliveries sent "except" it were not for it. */
  sid: string;
  /** The client's last log position. */
  after: number;
  /** Rooms whose deliveries after `after` are replayed (the session's, as the new token still grants them). */
  replayRooms: Set<string>;
}

/** Why a replay is refused before the socket connects (it gets a fresh session instead). */
export type ReplayRefusal = "offset no longer in the log" | "replay too large";

/**
 * Replay to a socket what its rooms got after the client's offset, in log order, bounded in events
 * and bytes. `readAhead` runs in the handshake, before socket.io answers: it reads the log up to
 * the live position and holds what is for this socket (at most the bound), so a gap too large or
 * too old is refused while the socket can still become a fresh one (`recovered` false). `run`, in
 * the connection step, sends what was held, reads on to the live position and joins the rooms in
 * the same tick as the last delivered envelope is sent: from there on live delivery reaches the
 * socket, and nothing falls between or arrives twice. The last stretch comes from what this
 * gateway delivered live (`deliveredAfter`), read and joined without an await in between.
 */
export class Replay {
  private readonly seen = new Set<string>();
  private held: Delivered[] = [];
  private from: number;
  private events = 0;
  private bytes = 0;
  private readonly deadline = Date.now() + MAX_REPLAY_MS;
  /**
   * The bound applies to what the client missed while away (the read-ahead, held in memory before
   * the socket connects). What arrives while the replay runs is live traffic, sent as it is read and
   * bounded by the deadline: counted too, a replay slower than the traffic on a busy machine passed
   * RECOVERY_MAX_EVENTS after a 5 s absence at 2,000 events/s and lost its session.
   */
  private bounded = true;

  constructor(
    private readonly deps: ReplayDeps,
    private readonly plan: ReplayPlan,
    private readonly bound: ReplayBound,
  ) {
    this.from = plan.after;
  }

  /** Keep an envelope if it is for this socket; false once the replay is past its bound. */
  private take(d: Delivered, out: Delivered[]): boolean {
    const { env } = d;
    if (env.tenantId !== this.plan.principal.tenantId || this.seen.has(env.id)) return true;
    this.seen.add(env.id);
    // A second copy of an envelope first logged at or before the client's offset (an outbox relay or
    // a log retry stored it again, e.g. after a NATS outage): the client had the first one.
    const first = this.deps.firstSeq(env.id);
    if (first !== undefined && first <= this.plan.after) return true;
    if (env.exceptSocketId === this.plan.sid) return true;
    if (!roomsFor(env.tenantId, env.target, env.data).some((r) => this.plan.replayRooms.has(r))) return true;
    out.push(d);
    this.events++;
    this.bytes += d.bytes;
    return !this.bounded || (this.events <= this.bound.maxEvents && this.bytes <= this.bound.maxBytes);
  }

  /** Read one chunk of the log after `from`, up to `target`, into `out`; a refusal when the log lost it or the bound is passed. */
  private async readChunk(out: Delivered[], target = this.deps.delivery.position()): Promise<ReplayRefusal | null> {
    const until = Math.min(target, this.from + CHUNK);
    const entries = await this.deps.bus.readLog(subjects.deliverTenant(this.plan.principal.tenantId), this.from, until);
    if (!entries) return "offset no longer in the log";
    for (const e of entries) {
      const env = DeliveryEnvelope.safeParse(e.data);
      if (env.success && !this.take({ seq: e.seq, env: env.data, bytes: e.bytes }, out)) return "replay too large";
    }
    this.from = until;
    return null;
  }

  /**
   * Before the socket connects: read (and hold) up to the live position as it was when the replay
   * began; null when it may recover. A fixed target, not the moving live position: under steady
   * traffic on a busy machine the log can grow about as fast as one chunk is read, and chasing it
   * here held the client's handshake for up to MAX_REPLAY_MS. What comes meanwhile is kept by the
   * tenant's live delivery until `run` hands over (or the replay's deadline passes), so `run` takes
   * it from there however long the read took.
   */
  async readAhead(): Promise<ReplayRefusal | null> {
    const target = this.deps.delivery.position();
    this.unkeep = this.deps.delivery.keep(target, this.deadline);
    while (this.from < target && Date.now() < this.deadline) {
      const refused = await this.readChunk(this.held, target);
      if (refused) {
        this.held = [];
        this.unkeep();
        return refused;
      }
    }
    return null;
  }

  /** Lets the live delivery trim what this replay kept (run() calls it when it ends). */
  private unkeep: () => void = () => {};

  /**
   * Send what was held, read on to the live position, then join (`join`) in the tick the last
   * envelope is sent. False when the log lost the range, the socket went, or the replay could not
   * catch up by its deadline; the socket has then joined nothing.
   */
  async run(socket: GatewaySocket, join: () => void): Promise<boolean> {
    try {
      return await this.handOver(socket, join);
    } finally {
      this.unkeep();
    }
  }

  private async handOver(socket: GatewaySocket, join: () => void): Promise<boolean> {
    const send = (list: Delivered[]) => {
      // The socket's own write (socket.io marks it private): in order with the packets written before.
      for (const d of list) for (const data of this.deps.packetsOf(d.env, d.seq)) (socket as unknown as Writable).packet({ type: EVENT, data });
    };
    let slice: Delivered[] = [];
    let sliceBytes = 0;
    for (const d of this.held) {
      slice.push(d);
      sliceBytes += d.bytes;
      if (sliceBytes < SLICE_BYTES) continue;
      send(slice);
      slice = [];
      sliceBytes = 0;
      await Bun.sleep(1);
      if (!socket.connected) return false;
    }
    send(slice);
    this.held = [];
    this.bounded = false;
    while (socket.connected && Date.now() < this.deadline) {
      const recent = this.deps.delivery.deliveredAfter(this.from);
      if (recent) {
        const out: Delivered[] = [];
        for (const d of recent) if (!this.take(d, out)) return false;
        send(out);
        join();
        return true;
      }
      const out: Delivered[] = [];
      if (await this.readChunk(out)) return false;
      send(out);
    }
    return false;
  }
}
