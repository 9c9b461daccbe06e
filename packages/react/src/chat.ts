import { useCallback, useEffect, useState } from "react";
import type { RealtimeError, ServerEventPayload } from "@rt/client";
import { useEvent } from "./hooks.ts";
import { useRealtime } from "./provider.ts";

type Message = ServerEventPayload<"message:new">;

export interface UseChatRoom {
  /** Messages received since the room was joined, oldest first (history: `GET /api/chat/rooms/:id/messages`). */
  messages: Message[];
  /** Whether this socket is in the room (joined, or re-joined after a reconnect). */
  joined: boolean;
  /** Why joining failed (FORBIDDEN for a non-member, NOT_FOUND…). */
  error: RealtimeError | undefined;
  /** Send a text message; resolves with the stored message. */
  send(content: string): Promise<Message>;
  /** Say this user is (or stopped) typing. */
  setTyping(typing: boolean): void;
  /** Other users typing now. */
  typingUsers: string[];
  /** Users seen joining the room's live connections since this one joined, minus those who left. */
  membersOnline: string[];
}

/** Join a chat room while mounted (the client re-joins after a reconnect) and follow its traffic. */
export function useChatRoom(roomId: number | string | null | undefined): UseChatRoom {
  const { client, isConnected } = useRealtime();
  const [messages, setMessages] = useState<Message[]>([]);
  const [joined, setJoined] = useState(false);
  const [error, setError] = useState<RealtimeError | undefined>();
  const [typing, setTypingUsers] = useState<string[]>([]);
  const [online, setOnline] = useState<string[]>([]);
  const room = roomId == null ? null : String(roomId);
  const ours = (id: number) => room !== null && String(id) === room;

  useEffect(() => {
    setMessages([]);
    setTypingUsers([]);
    setOnline([]);
    setJoined(false);
    setError(undefined);
    if (!client || room === null) return;
    let live = true;
    client.request("join_room", { roomId: room }).then(
      () => live && setJoined(true),
      (e: RealtimeError) => live && setError(e),
    );
    return () => {
      live = false;
      if (client.connected) client.emit("leave_room", { roomId: room });
    };
  }, [client, room]);

  useEvent("message:new", (m) => {
    if (ours(m.roomId)) setMessages((list) => (list.some((x) => x.id === m.id) ? list : [...list, m]));
  });
  useEvent("user:typing", (t) => {
    if (ours(t.roomId)) setTypingUsers((u) => (u.includes(t.userId) ? u : [...u, t.userId]));
  });
  useEvent("user:stop_typing", (t) => {
    if (ours(t.roomId)) setTypingUsers((u) => u.filter((x) => x !== t.userId));
  });
  useEvent("member:joined", (e) => {
    if (ours(e.roomId)) setOnline((u) => (u.includes(e.userId) ? u : [...u, e.userId]));
  });
  useEvent("member:left", (e) => {
    if (ours(e.roomId)) setOnline((u) => u.filter((x) => x !== e.userId));
  });
  // The sender's own message arrives as message:new too; typing stops with it.
  useEvent("message:new", (m) => {
    if (ours(m.roomId)) setTypingUsers((u) => u.filter((x) => x !== m.senderId));
  });

  const send = useCallback(
    (content: string) => {
      if (!client || room === null) return Promise.reject(new Error("useChatRoom: no room or not signed in"));
      return client.request("message:send", { roomId: room, content });
    },
    [client, room],
  );
  const setTyping = useCallback(
    (on: boolean) => {
      if (client && room !== null) client.emit(on ? "user:typing" : "user:stop_typing", { roomId: room });
    },
    [client, room],
  );
  return { messages, joined: joined && isConnected, error, send, setTyping, typingUsers: typing, membersOnline: online };
}
