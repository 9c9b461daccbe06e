export { RealtimeProvider, useRealtime } from "./provider.ts";
export type { EventHandlers, NotificationState, RealtimeContextValue, RealtimeProviderProps } from "./provider.ts";
export { useEvent, useRealTimeSync, useSocketConnection } from "./hooks.ts";
export type { DataChangeEvent, SyncNotification, UseRealTimeSyncOptions } from "./hooks.ts";
export { useNotifications } from "./notifications.ts";
export type { UseNotifications } from "./notifications.ts";
export { useChatRoom } from "./chat.ts";
export { useOnlineUsers } from "./presence.ts";
export type { UseChatRoom } from "./chat.ts";
