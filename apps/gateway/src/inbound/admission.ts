import { AppError } from "@rt/contracts";
import type { Limiter } from "./limiter.ts";
import type { GatewaySocket } from "../types.ts";

/** A connect refused for load: the client's `connect_error` has this message and `data.code` RATE_LIMITED. */
export class ConnectRefused extends Error {
  readonly data: { code: "RATE_LIMITED"; reason: string; retryAfterMs?: number };
  constructor(message: string, retryAfterMs?: number) {
    super(message);
    this.data = retryAfterMs === undefined ? { code: "RATE_LIMITED", reason: message } : { code: "RATE_LIMITED", reason: message, retryAfterMs };
  }
}

/** Handshakes per client address (RATE_LIMIT_HANDSHAKE a minute); checked before the token is. */
export async function admitAddress(limiter: Limiter, address: string | undefined): Promise<void> {
  try {
    await limiter.spend("handshake", address ?? "unknown", "too many connection attempts from this address");
  } catch (err) {
    if (err instanceof AppError) throw new ConnectRefused(err.message, err.retryAfterMs);
    throw err;
  }
}

/**
 * Sockets per key on this gateway: per user (MAX_SOCKETS_PER_USER) and per tenant
 * (TENANT_MAX_CONNECTIONS / TENANT_LIMITS). A place is held from admission until the engine
 * connection closes, so concurrent handshakes cannot slip past the count.
 */
export class HeldSockets {
  private byKey = new Map<string, Set<string>>();
  constructor(
    /** What a key may hold, and the refusal's wording ("user", "tenant"). */
    private readonly max: (key: string) => number,
    private readonly what: string,
    private readonly onRefused: (key: string) => void = () => {},
  ) {}

  /** Take a place for the socket under `key`; the returned function gives it back. */
  take(key: string, socketId: string): () => void {
    const held = this.byKey.get(key) ?? new Set<string>();
    const max = this.max(key);
    if (!held.has(socketId) && held.size >= max) {
      this.onRefused(key);
      throw new ConnectRefused(`too many connections for this ${this.what} (max ${max})`);
    }
    held.add(socketId);
    this.byKey.set(key, held);
    return () => {
      held.delete(socketId);
      if (held.size === 0 && this.byKey.get(key) === held) this.byKey.delete(key);
    };
  }
}

/**
 * Admit a socket under every bound at once (user, tenant): all places or none, held until the
 * engine connection closes, with one close listener for all of them (a listener per bound was a
 * closure pair per socket for as long as it is connected).
 */
export function holdPlaces(socket: GatewaySocket, places: [HeldSockets, string][]): void {
  const conn = socket.conn;
  // The client went away while its token was checked: nothing to hold.
  if (conn.readyState === "closed") return;
  const taken: (() => void)[] = [];
  const release = () => {
    for (const give of taken) give();
  };
  try {
    for (const [held, key] of places) taken.push(held.take(key, socket.id));
  } catch (err) {
    release();
    throw err;
  }
  conn.once("close", release);
}
