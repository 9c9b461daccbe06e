import { useEffect, useRef } from "react";
import type { RealtimeClient, ServerEventName, ServerEventPayload } from "@rt/client";
import { useRealtime } from "./provider.ts";

/** Listen to one server event while mounted; the latest handler is called (no re-subscribe per render). */
export function useEvent<E extends ServerEventName>(event: E, handler: (payload: ServerEventPayload<E>) => void): void;
export function useEvent(event: string, handler: (payload: any) => void): void;
export function useEvent(event: string, handler: (payload: any) => void): void {
  const { client } = useRealtime();
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    if (!client) return;
    const listener = (payload: unknown) => ref.current(payload);
    client.socket.on(event, listener);
    return () => {
      client.socket.off(event, listener);
    };
  }, [client, event]);
}

export type DataChangeEvent = ServerEventPayload<"data-change">;
export type SyncNotification = ServerEventPayload<"system-notification"> | ServerEventPayload<"notification:new">;

export interface UseRealTimeSyncOptions {
  entityTypes: string[];
  onDataChange?: (event: DataChangeEvent) => void;
  /** User notifications (`notification:new`) and tenant-wide ones (`system-notification`). */
  onNotification?: (notification: SyncNotification) => void;
  /**
   * A type whose missed changes could not be caught up (pruned past SYNC_RETENTION, or the
   * catch-up failed): reload it. Without it the hook only stops catching up that type.
   */
  onResyncRequired?: (entityType: string) => void;
}

/** Changes asked for per `sync:since` page while catching up. */
const CATCH_UP_PAGE = 500;

/**
 * Seed 001's hook, same signature: subscribes to the entity types' data changes while mounted
 * (re-subscribed by the client after a reconnect) and calls back on changes and notifications.
 * Each change is passed on once, in seq order: after a reconnect the server could not recover
 * (away past the recovery window, another gateway without the session), the missed changes of
 * each type it has seen are fetched with `sync:since` before live ones of that type go on.
 */
export function useRealTimeSync({ entityTypes, onDataChange, onNotification, onResyncRequired }: UseRealTimeSyncOptions): {
  isConnected: boolean;
  socket: RealtimeClient["socket"] | null;
} {
  const { client, isConnected } = useRealtime();
  const key = [...entityTypes].sort().join("\u0000");
  const latest = useRef({ entityTypes, onDataChange, onResyncRequired });
  latest.current = { entityTypes, onDataChange, onResyncRequired };
  useEffect(() => {
    if (!client || !key) return;
    const list = key.split("\u0000");
    client.emit("join-data-sync", { entityTypes: list });
    return () => client.emit("leave-data-sync", { entityTypes: list });
  }, [client, key]);
  // Highest seq passed on per type, and live changes held while that type catches up.
  const seen = useRef(new Map<string, number>());
  const held = useRef(new Map<string, DataChangeEvent[]>());
  useEffect(() => {
    if (!client) return;
    const pass = (e: DataChangeEvent) => {
      if (e.seq <= (seen.current.get(e.entityType) ?? 0)) return;
      seen.current.set(e.entityType, e.seq);
      latest.current.onDataChange?.(e);
    };
    const onChange = (e: DataChangeEvent) => {
      // Another hook on the same connection may subscribe other types: deliver only ours.
      if (!latest.current.entityTypes.includes(e.entityType)) return;
      const waiting = held.current.get(e.entityType);
      if (waiting) waiting.push(e);
      else pass(e);
    };
    const catchUp = async (entityType: string, afterSeq: number) => {
      held.current.set(entityType, []);
      try {
        for (let after = afterSeq; ; ) {
          const page = await client.request("sync:since", { entityType, afterSeq: after, limit: CATCH_UP_PAGE });
          if (!page.complete) throw new Error("pruned");
          for (const c of page.changes) pass(c as DataChangeEvent);
          const last = page.changes.at(-1)?.seq;
          if (last === undefined || last >= page.latestSeq) break;
          after = last;
        }
      } catch {
        latest.current.onResyncRequired?.(entityType);
      } finally {
        const waiting = held.current.get(entityType) ?? [];
        held.current.delete(entityType);
        waiting.sort((a, b) => a.seq - b.seq).forEach(pass);
      }
    };
    client.socket.on("data-change", onChange);
    // After the client re-joined its sync types on a fresh session: live changes flow again.
    const offRejoin = client.onRejoin(() => {
      for (const [type, seq] of seen.current) if (latest.current.entityTypes.includes(type)) void catchUp(type, seq);
    });
    return () => {
      client.socket.off("data-change", onChange);
      offRejoin();
    };
  }, [client]);
  useEvent("notification:new", (n) => onNotification?.(n));
  useEvent("system-notification", (n) => onNotification?.(n));
  return { isConnected, socket: client?.socket ?? null };
}

/**
 * Seed 004's hook, same signature (no arguments): the provider above holds the token (connect on
 * sign-in, disconnect on sign-out), the URL and the callbacks; this dispatches every event named
 * in the provider's `handlers` and calls its `onConnect` on each (re)connection.
 */
export function useSocketConnection(): { isConnected: boolean; unreadCount: number } {
  const { client, isConnected, handlers, onConnect, unreadCount } = useRealtime();
  const latest = useRef({ handlers, onConnect });
  latest.current = { handlers, onConnect };
  const names = Object.keys(handlers).sort().join("\u0000");
  useEffect(() => {
    if (!client || !names) return;
    const offs = names.split("\u0000").map((event) => {
      const listener = (payload: unknown) => latest.current.handlers[event]?.(payload);
      client.socket.on(event, listener);
      return () => client.socket.off(event, listener);
    });
    return () => offs.forEach((off) => off());
  }, [client, names]);
  useEffect(() => {
    if (client && isConnected) latest.current.onConnect?.(client);
  }, [client, isConnected]);
  return { isConnected, unreadCount };
}
