/**
 * The page the hooks' browser test drives (bundled by the test with `bun build`): one user's
 * provider, seed 001's data sync, notifications and a chat room, rendered as plain elements the
 * test reads. `window.rt` lets the test act (send, type, drop the transport).
 */
import { createElement as h, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { RealtimeProvider, useChatRoom, useNotifications, useRealTimeSync, useRealtime, useSocketConnection } from "../src/index.ts";

declare global {
  interface Window {
    rt: { send(text: string): Promise<unknown>; typing(on: boolean): void; dropTransport(): void; awayFor(ms: number): void; markAllRead(): Promise<void> };
    seen: string[];
  }
}
window.seen = [];
const params = new URLSearchParams(location.hash.slice(1));
const token = params.get("token")!;
const roomId = params.get("room")!;

function Status() {
  const { state, error } = useRealtime();
  const { unreadCount } = useSocketConnection();
  useEffect(() => void window.seen.push(`state ${state}`), [state]);
  return h("p", null, h("span", { id: "state" }, state), " ", h("span", { id: "error" }, error?.code ?? ""), " unread ", h("span", { id: "unread" }, String(unreadCount)));
}

function Sync() {
  const [changes, setChanges] = useState<string[]>([]);
  const [notes, setNotes] = useState<string[]>([]);
  const { isConnected, socket } = useRealTimeSync({
    entityTypes: ["EquipmentItem", "Rental"],
    onDataChange: (event) => setChanges((c) => [...c, `${event.entityType}:${event.action}#${event.seq}`]),
    onNotification: (notification) => setNotes((n) => [...n, notification.title]),
  });
  return h(
    "section",
    null,
    h("p", { id: "sync" }, `connected ${isConnected ? "yes" : "no"} socket ${socket ? "yes" : "no"}`),
    h(
      "ul",
      { id: "changes" },
      changes.map((c, i) => h("li", { key: i }, c)),
    ),
    h(
      "ul",
      { id: "sync-notes" },
      notes.map((n, i) => h("li", { key: i }, n)),
    ),
  );
}

function Notes() {
  const { unreadCount, notifications, markAllRead } = useNotifications();
  window.rt = { ...window.rt, markAllRead };
  return h(
    "section",
    null,
    h("p", { id: "badge" }, String(unreadCount)),
    h(
      "ul",
      { id: "notes" },
      notifications.map((n) => h("li", { key: n.id }, `${n.title}${n.readAt ? " (read)" : ""}`)),
    ),
  );
}

function Chat() {
  const { messages, joined, error, send, setTyping, typingUsers, membersOnline } = useChatRoom(roomId);
  const { client } = useRealtime();
  window.rt = {
    ...window.rt,
    send,
    typing: setTyping,
    dropTransport: () => client?.socket.io.engine.close(),
    // Offline longer than the recovery window: the next connection is a fresh session.
    awayFor: (ms: number) => {
      const socket = client?.socket;
      if (!socket) return;
      socket.io.reconnection(false);
      socket.io.engine.close();
      setTimeout(() => {
        socket.io.reconnection(true);
        socket.connect();
      }, ms);
    },
  };
  return h(
    "section",
    null,
    h("p", { id: "room" }, joined ? "joined" : error ? `error ${error.code}` : "joining"),
    h("p", { id: "typing" }, typingUsers.join(",")),
    h("p", { id: "members" }, membersOnline.join(",")),
    h(
      "ul",
      { id: "messages" },
      messages.map((m) => h("li", { key: m.id }, `${m.sender.name}: ${m.content}`)),
    ),
  );
}

function App() {
  return h(
    RealtimeProvider,
    { token, handlers: { booking_reminder: (d: { bookingId: number }) => window.seen.push(`booking_reminder ${d.bookingId}`) } },
    h(Status),
    h(Sync),
    h(Notes),
    h(Chat),
  );
}

createRoot(document.getElementById("root")!).render(h(App));
