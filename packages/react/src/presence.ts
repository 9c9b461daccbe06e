import { useEffect, useState } from "react";
import { PRESENCE_EVENTS, PresenceView, type RealtimeClient } from "@rt/client";
import { useRealtime } from "./provider.ts";

/**
 * Who in the signed-in user's tenant is online, live. Works with either presence mode: per-user
 * events (default) or, with `<RealtimeProvider options={{ presence: "batch" }}>`, one
 * `presence:batch` per interval — what large tenants should use (docs/PROTOCOL.md#presence).
 * Refetched with `presence:list` on every (re)connection.
 */
export function useOnlineUsers(): string[] {
  const { client, isConnected } = useRealtime();
  const [users, setUsers] = useState<string[]>([]);
  useEffect(() => {
    if (!client || !isConnected) return;
    return followPresence(client, (view) => setUsers([...view.users]));
  }, [client, isConnected]);
  return users;
}

/** Fill a PresenceView from `presence:list` and the presence events; returns the unsubscribe. */
function followPresence(client: RealtimeClient, changed: (view: PresenceView) => void): () => void {
  const view = new PresenceView();
  let listed = false;
  // Events before the list's answer are applied after it: the list may come from a presence replica that had not seen them yet.
  const early: Array<() => void> = [];
  const offs = PRESENCE_EVENTS.map((event) =>
    client.on(event, (payload) => {
      const apply = () => view.apply(event, payload as never);
      if (!listed) return void early.push(apply);
      apply();
      changed(view);
    }),
  );
  let live = true;
  client.request("presence:list").then(
    ({ users }) => {
      if (!live) return;
      view.reset(users);
      for (const apply of early.splice(0)) apply();
      listed = true;
      changed(view);
    },
    () => {},
  );
  return () => {
    live = false;
    for (const off of offs) off();
  };
}
