import { z } from "zod";
import { EntityId, UserId } from "../ids.ts";
import { Iso } from "./common.ts";

export const MessageType = z.enum(["TEXT", "IMAGE", "FILE", "AUDIO", "VIDEO", "SYSTEM"]);
export type MessageType = z.infer<typeof MessageType>;

export const RoomRef = z.object({ roomId: EntityId });
export type RoomRef = z.infer<typeof RoomRef>;

export const MessageSend = z.object({
  roomId: EntityId,
  content: z.string().min(1).max(10_000),
  type: MessageType.default("TEXT"),
  // Only web URLs: a `javascript:` or `data:` link would run in every recipient's client.
  fileUrl: z
    .url({ protocol: /^https?$/, error: "must be an http: or https: URL" })
    .max(2048)
    .nullish(),
  clientMsgId: z.string().min(1).max(128).optional(),
});
export type MessageSend = z.infer<typeof MessageSend>;

/** REST body: the room comes from the path. */
export const MessageCreateBody = MessageSend.omit({ roomId: true });
export type MessageCreateBody = z.infer<typeof MessageCreateBody>;

export const MessageEdit = z.object({ messageId: EntityId, content: z.string().min(1).max(10_000) });
export type MessageEdit = z.infer<typeof MessageEdit>;
export const MessageDelete = z.object({ messageId: EntityId });
export type MessageDelete = z.infer<typeof MessageDelete>;

export const Message = z.object({
  id: z.number(),
  roomId: z.number(),
  senderId: z.string(),
  content: z.string(),
  type: MessageType,
  fileUrl: z.string().nullable(),
  createdAt: Iso,
  updatedAt: Iso.optional(),
  clientMsgId: z.string().optional(),
  sender: z.object({ id: z.string(), name: z.string() }),
});
export type Message = z.infer<typeof Message>;

export const MessageEdited = z.object({ messageId: z.number(), roomId: z.number(), content: z.string(), updatedAt: Iso, timestamp: Iso });
export type MessageEdited = z.infer<typeof MessageEdited>;
export const MessageDeleted = z.object({ messageId: z.number(), roomId: z.number(), timestamp: Iso });
export type MessageDeleted = z.infer<typeof MessageDeleted>;

export const MemberEvent = z.object({ userId: z.string(), roomId: z.number(), timestamp: Iso });
export type MemberEvent = z.infer<typeof MemberEvent>;
export const TypingEvent = z.object({ userId: z.string(), roomId: z.number(), timestamp: Iso });
export type TypingEvent = z.infer<typeof TypingEvent>;

export const Room = z.object({
  id: z.number(),
  name: z.string(),
  createdBy: z.string(),
  createdAt: Iso,
  memberIds: z.array(z.string()),
});
export type Room = z.infer<typeof Room>;
export const RoomList = z.object({ rooms: z.array(Room) });

export const RoomCreateBody = z.object({
  name: z.string().min(1).max(200),
  memberIds: z.array(UserId).max(1000).default([]),
});
export type RoomCreateBody = z.infer<typeof RoomCreateBody>;
export const MemberAddBody = z.object({ userId: UserId });
export type MemberAddBody = z.infer<typeof MemberAddBody>;

export const HistoryQuery = z.object({
  before: EntityId.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
export type HistoryQuery = z.infer<typeof HistoryQuery>;
export const HistoryPage = z.object({ messages: z.array(Message), nextBefore: z.number().nullable() });
export type HistoryPage = z.infer<typeof HistoryPage>;

/** Reply of chat's membership check, used by the gateway before joining a socket to a room. */
export const MembershipCheck = z.object({ roomId: z.number(), member: z.literal(true) });
export type MembershipCheck = z.infer<typeof MembershipCheck>;

/** chat's `is-member` action, asked by other services (calls) about any user of the caller's tenant. */
export const IsMemberInput = z.object({ roomId: EntityId, userId: UserId });
export type IsMemberInput = z.infer<typeof IsMemberInput>;
export const IsMemberReply = z.object({ member: z.boolean() });
export type IsMemberReply = z.infer<typeof IsMemberReply>;
