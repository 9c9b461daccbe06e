import { useCallback } from "react";
import type { ServerEventPayload } from "@rt/client";
import { useRealtime } from "./provider.ts";

export interface UseNotifications {
  /** The server's unread count (sent on connect and after every change). */
  unreadCount: number;
  /** Notifications received since the connection opened, newest first (`readAt` set once read). */
  notifications: Array<ServerEventPayload<"notification:new">>;
  markRead(notificationId: number): Promise<void>;
  markAllRead(): Promise<void>;
}

/** Unread count, live list and mark-read for the signed-in user; every socket of the user stays in step. */
export function useNotifications(): UseNotifications {
  const { client, unreadCount, notifications } = useRealtime();
  const markRead = useCallback(
    async (notificationId: number) => {
      if (!client) throw new Error("useNotifications: not signed in");
      await client.request("notification:read", { notificationId });
    },
    [client],
  );
  const markAllRead = useCallback(async () => {
    if (!client) throw new Error("useNotifications: not signed in");
    await client.request("notification:read-all");
  }, [client]);
  return { unreadCount, notifications, markRead, markAllRead };
}
