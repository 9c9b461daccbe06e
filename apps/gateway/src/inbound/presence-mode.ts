import { PresenceMode } from "@rt/contracts";

/** A handshake option with a value the gateway does not know: `connect_error` with data.code VALIDATION. */
export class BadHandshake extends Error {
  readonly data: { code: "VALIDATION"; reason: string };
  constructor(reason: string) {
    super("invalid handshake");
    this.data = { code: "VALIDATION", reason };
  }
}

/**
 * How the socket hears tenant-wide presence: `auth.presence` or query `?presence=` (`user`, the
 * default, or `batch`). An unknown value, or the two disagreeing, is refused rather than ignored:
 * a client that asked for batches and silently got per-user events would not notice.
 */
export function presenceModeOf(handshake: { auth?: unknown; query?: unknown }): PresenceMode {
  const fromAuth = (handshake.auth as Record<string, unknown> | undefined)?.presence;
  const fromQuery = (handshake.query as Record<string, unknown> | undefined)?.presence;
  const given = [fromAuth, fromQuery].filter((v) => v !== undefined && v !== null);
  const modes = given.map((v) => PresenceMode.safeParse(v));
  if (modes.some((m) => !m.success)) throw new BadHandshake(`presence must be one of: ${PresenceMode.options.join(", ")}`);
  const [first, second] = modes.map((m) => m.data!);
  if (second !== undefined && second !== first) throw new BadHandshake("auth.presence and ?presence= disagree");
  return first ?? "user";
}
