import { useEffect, useRef } from "react";
import type { RealtimeClient, ServerEventName, ServerEventPayload } from "@rt/client";
import { useRealtime } from "./provider.ts";

/** Listen to one server event while mounted; the latest handler is called (no re-subscribe per render). */
export function useEvent<E extends ServerEventName>(event: E, handler: (payload: ServerEventPayload<E>) => void): void;
// biome-ignore lint/suspicious/noExplicitAny: free-form published events: their payload type is the caller's
export function useEvent(event: string, handler: (payload: any) => void): void;
// biome-ignore lint/suspicious/noExplicitAny: free-form published events: their payload type is the caller's
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
}

/**
 * Seed 001's hook, same signature: subscribes to the entity types' data changes while mounted
 * (re-subscribed by the client after a reconnect) and calls back on changes and notifications.
 */
export function useRealTimeSync({ entityTypes, onDataChange, onNotification }: UseRealTimeSyncOptions): { isConnected: boolean; socket: RealtimeClient["socket"] | null } {
  const { client, isConnected } = useRealtime();
  const key = [...entityTypes].sort().join("\u0000");
  const types = useRef(entityTypes);
  types.current = entityTypes;
  useEffect(() => {
    if (!client || !key) return;
    const list = key.split("\u0000");
    client.emit("join-data-sync", { entityTypes: list });
    return () => client.emit("leave-data-sync", { entityTypes: list });
  }, [client, key]);
  // Another hook on the same connection may subscribe other types: deliver only ours.
  useEvent("data-change", (e) => {
    if (types.current.includes(e.entityType)) onDataChange?.(e);
  });
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
    return () => {
      for (const off of offs) off();
    };
  }, [client, names]);
  useEffect(() => {
    if (client && isConnected) latest.current.onConnect?.(client);
  }, [client, isConnected]);
  return { isConnected, unreadCount };
}
