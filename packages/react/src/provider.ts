import { createContext, createElement, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { connect, type ConnectOptions, type ConnectionState, type RealtimeClient, type RealtimeError, type ServerEventName, type ServerEventPayload } from "@rt/client";

type Notification = ServerEventPayload<"notification:new">;

/** Callbacks by server event name; free-form published events (seed 004's `artisan-request:*`…) too. */
export type EventHandlers = { [E in ServerEventName]?: (payload: ServerEventPayload<E>) => void } & {
  // biome-ignore lint/suspicious/noExplicitAny: free-form published events: their payload type is the caller's
  [event: string]: ((payload: any) => void) | undefined;
};

export interface RealtimeProviderProps {
  /** Gateway origin; in a page served by the gateway, `location.origin` (the default). */
  url?: string;
  /** The signed-in user's token; null or undefined while signed out (no connection). */
  token?: string | null;
  /** Passed to `connect` (path, transports, requestTimeoutMs, socketOptions…). */
  options?: Omit<ConnectOptions, "url" | "token">;
  /** What `useSocketConnection()` dispatches each event to (seed 004 dispatches Redux actions here). */
  handlers?: EventHandlers;
  /** Called on every (re)connection, after the client is connected (seed 004 fetches its count here). */
  onConnect?: (client: RealtimeClient) => void;
  children?: ReactNode;
}

export interface NotificationState {
  unreadCount: number;
  /** Notifications received since the connection opened, newest first. */
  notifications: Notification[];
}

export interface RealtimeContextValue extends NotificationState {
  /** The live client; null while signed out. */
  client: RealtimeClient | null;
  state: ConnectionState;
  /** Why the last connection attempt was refused or closed (UNAUTHENTICATED for a bad token). */
  error: RealtimeError | undefined;
  handlers: EventHandlers;
  onConnect: ((client: RealtimeClient) => void) | undefined;
}

const RealtimeContext = createContext<RealtimeContextValue | null>(null);

// biome-ignore lint/suspicious/noExplicitAny: free-form published events: their payload type is the caller's
function applyNotificationEvent(s: NotificationState, event: string, payload: any): NotificationState {
  switch (event) {
    case "notification:unread-count":
      return { ...s, unreadCount: payload.count };
    case "notification:new":
      return { ...s, notifications: [payload, ...s.notifications.filter((n) => n.id !== payload.id)] };
    case "notification:marked-read": {
      const ids = new Set<number>(payload.notificationIds);
      const readAt = payload.timestamp as string;
      return { ...s, notifications: s.notifications.map((n) => (payload.all || ids.has(n.id) ? { ...n, readAt: n.readAt ?? readAt } : n)) };
    }
    case "notification:deleted":
      return { ...s, notifications: s.notifications.filter((n) => n.id !== payload.notificationId) };
    default:
      return s;
  }
}
const NOTIFICATION_EVENTS = ["notification:unread-count", "notification:new", "notification:marked-read", "notification:deleted"] as const;

/**
 * One connection for the tree below: opened when a token is given (sign in), closed when it goes
 * away (sign out), re-authenticated in place when it changes. Reconnection is the client's.
 */
export function RealtimeProvider(props: RealtimeProviderProps) {
  const { token, options, handlers = {}, onConnect, children } = props;
  const url = props.url ?? (typeof location === "undefined" ? "" : location.origin);
  const [client, setClient] = useState<RealtimeClient | null>(null);
  const [state, setState] = useState<ConnectionState>("disconnected");
  const [error, setError] = useState<RealtimeError | undefined>();
  const [notes, setNotes] = useState<NotificationState>({ unreadCount: 0, notifications: [] });
  // The options object is usually written inline: read the latest without reconnecting on each render.
  const optionsRef = useRef(options);
  optionsRef.current = options;
  const tokenRef = useRef(token);
  tokenRef.current = token;
  const signedIn = Boolean(token);

  useEffect(() => {
    if (!signedIn) return;
    const c = connect({ ...optionsRef.current, url, token: tokenRef.current! });
    setState(c.state);
    setError(undefined);
    setNotes({ unreadCount: 0, notifications: [] });
    const offs = [
      c.onStateChange((s) => {
        setState(s.state);
        if (s.state === "connected") setError(undefined);
        else if (s.error) setError(s.error);
      }),
      ...NOTIFICATION_EVENTS.map((e) => c.on(e, (payload: unknown) => setNotes((s) => applyNotificationEvent(s, e, payload)))),
    ];
    setClient(c);
    return () => {
      for (const off of offs) off();
      c.disconnect();
      setClient(null);
      setState("disconnected");
    };
  }, [url, signedIn]);

  // A fresher token for the same session: re-authenticate the live socket, keep rooms.
  useEffect(() => {
    if (client && token && token !== client.token) client.setToken(token).catch((e: RealtimeError) => setError(e));
  }, [client, token]);

  const value: RealtimeContextValue = { client, state, error, handlers, onConnect, ...notes };
  return createElement(RealtimeContext.Provider, { value }, children);
}

/** The provider's connection: `{ client, state, isConnected, error }` plus the notification state. */
export function useRealtime(): RealtimeContextValue & { isConnected: boolean } {
  const ctx = useContext(RealtimeContext);
  if (!ctx) throw new Error("useRealtime: wrap the tree in <RealtimeProvider>");
  return { ...ctx, isConnected: ctx.state === "connected" };
}
