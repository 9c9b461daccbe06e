import type { PresenceMode } from "@rt/contracts";
import type { ServerEventPayload } from "./types.ts";

export type { PresenceMode };

/** The events that change who is online tenant-wide: per-user (`presence: "user"`) or batched. */
export const PRESENCE_EVENTS = ["user:online", "user:offline", "presence:batch"] as const;
export type PresenceEvent = (typeof PRESENCE_EVENTS)[number];

/**
 * Who in the tenant is online, as one client sees it: `presence:list` when (re)connected, then
 * the presence events (those that came before the list's answer too, applied after it: the list
 * may come from a presence replica that had not seen them yet). The same for both presence modes, so an app can turn
 * `connect({ presence: "batch" })` on without changing how it reads the view.
 */
export class PresenceView {
  readonly users = new Set<string>();

  /** The answer of `presence:list`: the whole view again. */
  reset(list: Array<{ userId: string }>): void {
    this.users.clear();
    for (const u of list) this.users.add(u.userId);
  }

  /** A batch lists each changed user once with their state then: applying it twice changes nothing. */
  apply<E extends PresenceEvent>(event: E, payload: ServerEventPayload<E>): void {
    if (event === "user:online") this.users.add((payload as ServerEventPayload<"user:online">).userId);
    else if (event === "user:offline") this.users.delete((payload as ServerEventPayload<"user:offline">).userId);
    else {
      const b = payload as ServerEventPayload<"presence:batch">;
      for (const u of b.online) this.users.add(u);
      for (const u of b.offline) this.users.delete(u);
    }
  }
}
