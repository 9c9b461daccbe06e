import { AppError } from "@rt/contracts";
import type { Limiter } from "../limiter.ts";
import type { GatewaySocket } from "./types.ts";

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
 * Sockets per user on this gateway (MAX_SOCKETS_PER_USER). A place is held from admission until
 * the engine connection closes, so concurrent handshakes of one user cannot slip past the count.
 */
export class UserSockets {
  private byUser = new Map<string, Set<string>>();
  constructor(private readonly max: number) {}

  admit(user: string, socket: GatewaySocket): void {
    const conn = socket.conn;
    // The client went away while its token was checked: nothing to hold.
    if (conn.readyState === "closed") return;
    const held = this.byUser.get(user) ?? new Set<string>();
    if (!held.has(socket.id) && held.size >= this.max) throw new ConnectRefused(`too many connections for this user (max ${this.max})`);
    held.add(socket.id);
    this.byUser.set(user, held);
    conn.once("close", () => {
      held.delete(socket.id);
      if (held.size === 0 && this.byUser.get(user) === held) this.byUser.delete(user);
    });
  }
}
