import { io, type ManagerOptions, type Socket, type SocketOptions } from "socket.io-client";
import type { Ack, ClientEventName, ErrorCode, PresenceMode, ServerEventName } from "@rt/contracts";
import { RealtimeError } from "./errors.ts";
import type { AckData, AuthenticatedUser, ClientInput, EmitArgs, RequestArgs, RequestOptions, ServerHandler } from "./types.ts";

export type Transport = "websocket" | "polling";

export interface ConnectOptions {
  /** Gateway origin, e.g. `http://localhost:3000` (in a page on the gateway: `location.origin`). */
  url: string;
  token: string;
  /** Socket.IO path: `/socket.io/` (default) or the seed-001 `/api/socket`. */
  path?: string;
  /** Socket.IO's default (polling, then upgrade to websocket) unless given. */
  transports?: Transport[];
  /** How long `request` waits for an ack before rejecting with UNAVAILABLE (default 10 s). */
  requestTimeoutMs?: number;
  /**
   * After the server closes the socket (a gateway shutting down tells its clients to go), connect
   * again with Socket.IO's reconnection delay. Never after the token expired: call `setToken`.
   * Default true.
   */
  reconnectAfterServerDisconnect?: boolean;
  /**
   * How to hear who in the tenant comes and goes: `"user"` (default) one `user:online` /
   * `user:offline` per change; `"batch"` one `presence:batch` per interval (PRESENCE_BATCH_MS) with
   * every user who changed, for large tenants (docs/PROTOCOL.md#presence).
   */
  presence?: PresenceMode;
  /** Passed to socket.io-client as is (reconnection delays, extra headers, …). */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
}

export type ConnectionState = "connecting" | "connected" | "reconnecting" | "disconnected";

export interface StateChange {
  state: ConnectionState;
  /** Socket.IO's disconnect reason, when the change came from a disconnect. */
  reason?: string;
  /** On `connected`: whether Socket.IO recovered the session (missed events replayed, rooms kept). */
  recovered?: boolean;
  /** Why the connection was refused or closed: UNAUTHENTICATED for a bad or expired token. */
  error?: RealtimeError;
}

/** What the client re-issued after a reconnect that Socket.IO could not recover. */
export interface RejoinReport {
  restored: ClientEventName[];
  failed: Array<{ event: ClientEventName; error: RealtimeError }>;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Tries of one re-join refused for now, and the longest wait between two. */
const REJOIN_TRIES = 8;
const REJOIN_MAX_WAIT_MS = 10_000;

const entityTypesOf = (input: unknown): string[] => {
  const list = Array.isArray(input) ? input : (input as { entityTypes?: unknown } | undefined)?.entityTypes;
  return Array.isArray(list) ? list.filter((e): e is string => typeof e === "string") : [];
};
const roomIdOf = (v: unknown): number | string | undefined => {
  const id = (v as { roomId?: unknown } | undefined)?.roomId;
  return typeof id === "number" || typeof id === "string" ? id : undefined;
};

/**
 * A typed Socket.IO connection to the gateway: typed events both ways, acks as promises, token
 * refresh on the live socket, and the rooms a client chose restored after a reconnect that
 * Socket.IO could not recover (new gateway, recovery window passed, server-side disconnect).
 */
export class RealtimeClient {
  /** The underlying socket.io-client socket, for what this class does not cover. */
  readonly socket: Socket;
  #state: ConnectionState = "connecting";
  #everConnected = false;
  #closedByUser = false;
  #tokenExpired = false;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #requestTimeoutMs: number;
  readonly #reconnectAfterServerDisconnect: boolean;
  /** What this client joined, to join again on a fresh (not recovered) session. */
  readonly #joined = { room: undefined as number | string | undefined, entityTypes: new Set<string>(), payments: false };
  readonly #stateListeners = new Set<(s: StateChange) => void>();
  readonly #rejoinListeners = new Set<(r: RejoinReport) => void>();
  /** Counts re-joins: a retry of an older connection's re-join stops when a newer one starts. */
  #rejoins = 0;
  /** Why the server refused or closed the connection (bad or expired token): requests fail at once. */
  #refused: RealtimeError | undefined;
  /** Rejecters of the requests waiting for an ack, failed together when the connection is refused. */
  readonly #pending = new Set<(e: RealtimeError) => void>();

  constructor(opts: ConnectOptions) {
    this.#requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#reconnectAfterServerDisconnect = opts.reconnectAfterServerDisconnect ?? true;
    this.socket = io(opts.url, {
      path: opts.path ?? "/socket.io/",
      ...(opts.transports ? { transports: opts.transports } : {}),
      forceNew: true,
      ...opts.socketOptions,
      auth: opts.presence ? { token: opts.token, presence: opts.presence } : { token: opts.token },
      autoConnect: false,
    });
    this.#wire();
    this.socket.connect();
  }

  get id(): string | undefined {
    return this.socket.id;
  }
  get connected(): boolean {
    return this.socket.connected;
  }
  get state(): ConnectionState {
    return this.#state;
  }
  /** The token used for the next (re)connection. */
  get token(): string {
    return (this.socket.auth as { token: string }).token;
  }

  /** Listen to a server event; returns a function that removes the listener. */
  on<E extends ServerEventName>(event: E, handler: ServerHandler<E>): () => void {
    this.socket.on(event as string, handler as (...args: unknown[]) => void);
    return () => this.off(event, handler);
  }

  /** Remove one listener, or every listener of the event. */
  off<E extends ServerEventName>(event: E, handler?: ServerHandler<E>): void {
    if (handler) this.socket.off(event as string, handler as (...args: unknown[]) => void);
    else this.socket.off(event as string);
  }

  /** Every event the server sends (contract events and free-form published ones). */
  onAny(handler: (event: string, payload: unknown) => void): () => void {
    this.socket.onAny(handler);
    return () => this.socket.offAny(handler);
  }

  onStateChange(handler: (change: StateChange) => void): () => void {
    this.#stateListeners.add(handler);
    return () => this.#stateListeners.delete(handler);
  }

  onRejoin(handler: (report: RejoinReport) => void): () => void {
    this.#rejoinListeners.add(handler);
    return () => this.#rejoinListeners.delete(handler);
  }

  /** Fire and forget: a failure arrives as the server's `error` event `{ event, code, message }`. */
  emit<E extends ClientEventName>(event: E, ...args: EmitArgs<E>): void {
    const [input] = args as [ClientInput<E>?];
    this.#remember(event, input);
    if (input === undefined) this.socket.emit(event);
    else this.socket.emit(event, input);
  }

  /**
   * Emit with an ack: resolves with the ack `data`, rejects with a RealtimeError carrying the
   * error code (docs/PROTOCOL.md#error-codes), or UNAVAILABLE when no ack came in time (emits made while offline are sent on
   * reconnect, within the same timeout).
   */
  request<E extends ClientEventName>(event: E, ...args: RequestArgs<E>): Promise<AckData<E>> {
    const [input, options] = args as [ClientInput<E>?, RequestOptions?];
    const timeoutMs = options?.timeoutMs ?? this.#requestTimeoutMs;
    const payload = input === undefined ? [] : [input];
    if (this.#refused) return Promise.reject(new RealtimeError(this.#refused.code, this.#refused.message, event));
    return new Promise((resolve, reject) => {
      const fail = (e: RealtimeError) => {
        this.#pending.delete(fail);
        reject(new RealtimeError(e.code, e.message, event));
      };
      this.#pending.add(fail);
      this.socket.timeout(timeoutMs).emit(event, ...payload, (err: Error | null, ack?: Ack) => {
        if (!this.#pending.delete(fail)) return; // already failed by a refusal
        if (err) return reject(new RealtimeError("UNAVAILABLE", `no answer to ${event} within ${timeoutMs} ms`, event));
        if (ack?.ok === true) {
          this.#remember(event, input, ack.data);
          return resolve(ack.data as AckData<E>);
        }
        if (ack?.ok === false && ack.error) return reject(RealtimeError.from(ack.error, event));
        reject(new RealtimeError("INTERNAL", `malformed ack for ${event}`, event));
      });
    });
  }

  /**
   * Use a fresher token: the live socket re-authenticates with `authenticate` (same user; the
   * server moves the expiry disconnect, rooms stay), and every later reconnection sends it. While
   * disconnected it is kept for the next attempt, and a socket closed for an expired or refused
   * token connects again. A token the server refuses is not kept.
   */
  async setToken(token: string): Promise<AuthenticatedUser | undefined> {
    const previous = this.token;
    // Only the token changes: other handshake fields (presence) stay for the next reconnection.
    this.socket.auth = { ...this.socket.auth, token };
    if (this.socket.connected) {
      try {
        return (await this.request("authenticate", { token })).user;
      } catch (err) {
        this.socket.auth = { ...this.socket.auth, token: previous };
        throw err;
      }
    }
    if (!this.#closedByUser && !this.socket.active) this.#reconnectNow();
    return undefined;
  }

  /** Resolves once connected; rejects when the connection is refused (e.g. UNAUTHENTICATED) or after timeoutMs. */
  whenConnected(timeoutMs = this.#requestTimeoutMs): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new RealtimeError("UNAVAILABLE", `not connected within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onStateChange((s) => {
        if (s.state === "connected") resolve();
        else if (s.state === "disconnected") reject(s.error ?? new RealtimeError("UNAVAILABLE", `disconnected: ${s.reason ?? "closed"}`));
        else return;
        clearTimeout(timer);
        off();
      });
    });
  }

  /** Close the connection; nothing reconnects until `connect()`. */
  disconnect(): void {
    this.#closedByUser = true;
    clearTimeout(this.#reconnectTimer);
    this.socket.disconnect();
  }

  /** Open the connection again after `disconnect()`. */
  connect(): void {
    this.#closedByUser = false;
    this.#reconnectNow();
  }

  #reconnectNow() {
    clearTimeout(this.#reconnectTimer);
    this.#tokenExpired = false;
    this.#refused = undefined;
    this.#setState({ state: this.#everConnected ? "reconnecting" : "connecting" });
    this.socket.connect();
  }

  #setState(change: StateChange) {
    this.#state = change.state;
    // Refused for good (no retry until setToken/connect): nothing waiting can succeed, say so now
    // rather than at the ack timeout, and drop the emits socket.io buffered for the next connection.
    if (change.state === "disconnected" && change.error) {
      this.#refused = change.error;
      this.socket.sendBuffer = [];
      for (const fail of [...this.#pending]) fail(change.error);
    }
    for (const l of this.#stateListeners) l(change);
  }

  #wire() {
    const s = this.socket;
    s.on("connect", () => {
      const fresh = this.#everConnected && !s.recovered;
      this.#everConnected = true;
      this.#tokenExpired = false;
      this.#refused = undefined;
      this.#setState({ state: "connected", recovered: s.recovered });
      if (fresh) void this.#rejoin();
    });
    // The gateway says why before it closes a socket whose token expired.
    s.on("error", (e: { event?: string; code?: ErrorCode; message?: string } | undefined) => {
      if (e?.event === "token" && e.code === "UNAUTHENTICATED") this.#tokenExpired = true;
    });
    s.on("disconnect", (reason) => {
      if (reason === "io client disconnect" || this.#closedByUser) return this.#setState({ state: "disconnected", reason });
      if (reason === "io server disconnect") {
        if (this.#tokenExpired) {
          return this.#setState({ state: "disconnected", reason, error: new RealtimeError("UNAUTHENTICATED", "token expired") });
        }
        if (!this.#reconnectAfterServerDisconnect) return this.#setState({ state: "disconnected", reason });
        const base = this.socket.io.reconnectionDelay();
        this.#reconnectTimer = setTimeout(() => this.#reconnectNow(), base * (0.5 + Math.random()));
        return this.#setState({ state: "reconnecting", reason });
      }
      this.#setState({ state: "reconnecting", reason });
    });
    s.on("connect_error", (err: Error & { data?: { code?: ErrorCode; reason?: string } }) => {
      const code: ErrorCode = err.data?.code ?? "UNAVAILABLE";
      const error = new RealtimeError(code, err.data?.reason ?? err.message);
      // Refused by the server (bad token): Socket.IO does not retry. Otherwise the manager does.
      this.#setState({ state: s.active ? "reconnecting" : "disconnected", error });
    });
  }

  #remember(event: ClientEventName, input: unknown, data?: unknown) {
    const j = this.#joined;
    switch (event) {
      case "join_room":
        j.room = roomIdOf(data) ?? roomIdOf(input);
        break;
      case "leave_room":
        if (j.room !== undefined && String(roomIdOf(input)) === String(j.room)) j.room = undefined;
        break;
      case "join-data-sync":
        for (const e of entityTypesOf(input)) j.entityTypes.add(e);
        break;
      case "leave-data-sync":
        for (const e of entityTypesOf(input)) j.entityTypes.delete(e);
        break;
      case "subscribe:payments":
        j.payments = true;
        break;
      case "unsubscribe:payments":
        j.payments = false;
        break;
    }
  }

  /**
   * A re-join refused for now (RATE_LIMITED, or UNAVAILABLE from a service shedding the load of a
   * reconnect storm) is asked again after the server's retryAfterMs, with jitter, up to
   * REJOIN_TRIES times, while this connection lasts (the next connection re-joins anew).
   */
  async #askUntilIn<T>(ask: () => Promise<T>, generation: number): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await ask();
      } catch (err) {
        const passing = err instanceof RealtimeError && (err.code === "RATE_LIMITED" || err.code === "UNAVAILABLE");
        if (!passing || attempt >= REJOIN_TRIES || generation !== this.#rejoins || !this.connected) throw err;
        const wait = Math.min(REJOIN_MAX_WAIT_MS, err.retryAfterMs ?? 250 * 2 ** attempt) * (0.75 + Math.random() / 2);
        await new Promise((r) => setTimeout(r, wait));
        if (generation !== this.#rejoins || !this.connected) throw err;
      }
    }
  }

  /** A fresh server session has only the automatic rooms: ask again for what this client joined. */
  async #rejoin() {
    const { room, entityTypes, payments } = this.#joined;
    const jobs: Array<[ClientEventName, Promise<unknown>]> = [];
    const generation = ++this.#rejoins;
    const again = <T>(ask: () => Promise<T>) => this.#askUntilIn(ask, generation);
    if (room !== undefined) jobs.push(["join_room", again(() => this.request("join_room", { roomId: room }))]);
    if (entityTypes.size) jobs.push(["join-data-sync", again(() => this.request("join-data-sync", { entityTypes: [...entityTypes] }))]);
    if (payments) jobs.push(["subscribe:payments", again(() => this.request("subscribe:payments"))]);
    if (!jobs.length) return;
    const report: RejoinReport = { restored: [], failed: [] };
    const settled = await Promise.allSettled(jobs.map(([, p]) => p));
    settled.forEach((r, i) => {
      const event = jobs[i]![0];
      if (r.status === "fulfilled") {
        report.restored.push(event);
        return;
      }
      const error = r.reason instanceof RealtimeError ? r.reason : new RealtimeError("INTERNAL", String(r.reason), event);
      report.failed.push({ event, error });
      // No longer a member: stop asking on every reconnect.
      if (event === "join_room" && (error.code === "FORBIDDEN" || error.code === "NOT_FOUND")) this.#joined.room = undefined;
    });
    for (const l of this.#rejoinListeners) l(report);
  }
}

/** Open a typed connection to the gateway (it starts connecting at once). */
export function connect(opts: ConnectOptions): RealtimeClient {
  return new RealtimeClient(opts);
}
