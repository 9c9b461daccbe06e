import { and, asc, desc, eq, inArray, isNull, lt, sql } from "drizzle-orm";
import {
  AppError,
  type HistoryPage,
  type HistoryQuery,
  type MembershipCheck,
  type Message,
  type MessageCreateBody,
  type MessageDeleted,
  type MessageEdited,
  type MessageType,
  type Room,
  type RoomCreateBody,
  type SvcContext,
  toRoom,
} from "@rt/contracts";
import type { Bus } from "@rt/bus";
import type { Db } from "@rt/db";
import { deliver, outboxDelivery, type DeliverInput, type Outbox, type OutboxMessage, type Tx } from "@rt/service-kit";
import { createMessageWriter, messageEnvelopeId, newMessage, type MessageRow } from "./message-writer.ts";
import { members, messages, rooms } from "./schema.ts";

/** The verified caller; every query is scoped by its tenant, never by input. */
export type Caller = Pick<SvcContext, "tenantId" | "userId" | "name">;

export interface ChatDeps {
  bus: Bus;
  db: Db;
  /** message:new rows are written by the messages' own statement; edits and deletes go through `transaction`. */
  outbox: Pick<Outbox, "markRowsSent" | "transaction">;
}

type RoomRow = typeof rooms.$inferSelect;

function toMessage(m: MessageRow): Message {
  return {
    id: m.id,
    roomId: m.roomId,
    senderId: m.senderId,
    content: m.content,
    type: m.type as MessageType,
    fileUrl: m.fileUrl ?? null,
    createdAt: m.createdAt.toISOString(),
    ...(m.edited ? { updatedAt: m.updatedAt.toISOString() } : {}),
    ...(m.clientMsgId !== null ? { clientMsgId: m.clientMsgId } : {}),
    sender: { id: m.senderId, name: m.senderName },
  };
}

const asRoom = (r: RoomRow, memberIds: string[]): Room => ({
  id: r.id,
  name: r.name,
  createdBy: r.createdBy,
  createdAt: r.createdAt.toISOString(),
  memberIds,
});

/** Room ids are `serial` (int4): a larger id cannot exist, and Postgres would refuse to compare it. */
const MAX_ROOM_ID = 2_147_483_647;

/** A stored message's broadcast, under its stable envelope id: however often published, each socket gets it once. */
export const messageNew = (row: MessageRow): DeliverInput<"message:new"> => ({
  tenantId: row.tenantId,
  target: toRoom(row.roomId),
  event: "message:new",
  data: toMessage(row),
  id: messageEnvelopeId(row.id),
});

/** The message:new deliveries of stored messages, by id: what the outbox relay publishes for keys left unsent. */
export async function announcedMessages(tx: Tx, ids: number[]): Promise<OutboxMessage[]> {
  const rows = await tx.select().from(messages).where(inArray(messages.id, ids)).orderBy(asc(messages.id));
  return rows.map((row) => outboxDelivery(messageNew(row)));
}

export type Chat = ReturnType<typeof createChat>;

export function createChat({ bus, db, outbox }: ChatDeps) {
  // Prepared: Postgres plans them once per connection (they run on every join and repeated send).
  const roomAndMember = db
    .select({ room: rooms, memberId: members.userId })
    .from(rooms)
    .leftJoin(members, and(eq(members.roomId, rooms.id), eq(members.userId, sql.placeholder("userId"))))
    .where(and(eq(rooms.tenantId, sql.placeholder("tenantId")), eq(rooms.id, sql.placeholder("roomId"))))
    .limit(1)
    .prepare("chat_room_and_member");
  const byClientMsgId = db
    .select()
    .from(messages)
    .where(
      and(
        eq(messages.tenantId, sql.placeholder("tenantId")),
        eq(messages.roomId, sql.placeholder("roomId")),
        eq(messages.senderId, sql.placeholder("senderId")),
        eq(messages.clientMsgId, sql.placeholder("clientMsgId")),
      ),
    )
    .limit(1)
    .prepare("chat_message_by_client_id");
  const writer = createMessageWriter(db, outbox, (row) => announce(row));

  /** The room's row and whether `userId` is in it; undefined when the tenant has no such room. */
  async function roomWithMembership(tenantId: string, roomId: number, userId: string) {
    if (roomId > MAX_ROOM_ID) return undefined;
    const [row] = await roomAndMember.execute({ tenantId, roomId, userId });
    return row && { room: row.room, member: row.memberId !== null };
  }

  /** NOT_FOUND for a room the tenant does not have, FORBIDDEN for a non-member. */
  async function requireMember(caller: Caller, roomId: number): Promise<RoomRow> {
    const r = await roomWithMembership(caller.tenantId, roomId, caller.userId);
    if (!r) throw new AppError("NOT_FOUND", "room not found");
    if (!r.member) throw new AppError("FORBIDDEN", "not a member of this room");
    return r.room;
  }

  async function memberIdsOf(tenantId: string, roomIds: number[]): Promise<Map<number, string[]>> {
    const out = new Map<number, string[]>(roomIds.map((id) => [id, []]));
    if (roomIds.length === 0) return out;
    const rows = await db
      .select({ roomId: members.roomId, userId: members.userId })
      .from(members)
      .where(and(eq(members.tenantId, tenantId), inArray(members.roomId, roomIds)))
      .orderBy(asc(members.joinedAt), asc(members.userId));
    for (const r of rows) out.get(r.roomId)?.push(r.userId);
    return out;
  }

  async function roomView(tenantId: string, room: RoomRow): Promise<Room> {
    return asRoom(room, (await memberIdsOf(tenantId, [room.id])).get(room.id) ?? []);
  }

  /** Broadcast a stored message (see messageNew). */
  function announce(row: MessageRow): Message {
    return deliver(bus, messageNew(row)).data as Message;
  }

  /**
   * A message the caller may change: NOT_FOUND when it is not in the tenant or already deleted,
   * FORBIDDEN when someone else sent it. Runs after a conditional update matched nothing.
   */
  async function refuseChange(caller: Caller, messageId: number): Promise<never> {
    const [row] = await db
      .select({ senderId: messages.senderId })
      .from(messages)
      .where(and(eq(messages.tenantId, caller.tenantId), eq(messages.id, messageId), isNull(messages.deletedAt)))
      .limit(1);
    if (!row) throw new AppError("NOT_FOUND", "message not found");
    throw new AppError("FORBIDDEN", "only the sender may change this message");
  }

  return {
    async authorizeJoin(caller: Caller, roomId: number): Promise<MembershipCheck> {
      await requireMember(caller, roomId);
      return { roomId, member: true };
    },

    /** Whether any user of the caller's tenant is in the room (false for an unknown room). */
    async isMember(caller: Caller, roomId: number, userId: string): Promise<boolean> {
      return (await roomWithMembership(caller.tenantId, roomId, userId))?.member ?? false;
    },

    async createRoom(caller: Caller, body: RoomCreateBody): Promise<Room> {
      const ids = [...new Set([caller.userId, ...body.memberIds])];
      return db.transaction(async (tx) => {
        const [room] = await tx.insert(rooms).values({ tenantId: caller.tenantId, name: body.name, createdBy: caller.userId }).returning();
        await tx.insert(members).values(ids.map((userId) => ({ tenantId: caller.tenantId, roomId: room!.id, userId })));
        return asRoom(room!, ids);
      });
    },

    async listRooms(caller: Caller): Promise<Room[]> {
      const rows = await db
        .select({ room: rooms })
        .from(members)
        .innerJoin(rooms, eq(rooms.id, members.roomId))
        .where(and(eq(members.tenantId, caller.tenantId), eq(members.userId, caller.userId), eq(rooms.tenantId, caller.tenantId)))
        .orderBy(desc(rooms.id));
      const ids = await memberIdsOf(
        caller.tenantId,
        rows.map((r) => r.room.id),
      );
      return rows.map((r) => asRoom(r.room, ids.get(r.room.id) ?? []));
    },

    async getRoom(caller: Caller, roomId: number): Promise<Room> {
      return roomView(caller.tenantId, await requireMember(caller, roomId));
    },

    /** Members may add anyone of their tenant; adding a member twice is not an error. */
    async addMember(caller: Caller, roomId: number, userId: string): Promise<{ room: Room; added: boolean }> {
      const room = await requireMember(caller, roomId);
      const added = await db.insert(members).values({ tenantId: caller.tenantId, roomId, userId }).onConflictDoNothing().returning({ userId: members.userId });
      return { room: await roomView(caller.tenantId, room), added: added.length > 0 };
    },

    /**
     * Store and broadcast `message:new`; the socket and both REST paths come here. Membership is
     * checked by the insert itself (a JOIN on members in the same statement, see message-writer),
     * so a send costs one statement, grouped with concurrent sends. A repeated clientMsgId stores
     * nothing (the unique index) and returns the stored message, published again under the same
     * envelope id: gateways deliver an id once, and a replica that died between its insert and its
     * publish would otherwise leave an acked message undelivered.
     */
    async sendMessage(caller: Caller, roomId: number, input: MessageCreateBody): Promise<Message> {
      if (roomId > MAX_ROOM_ID) throw new AppError("NOT_FOUND", "room not found");
      const row = await writer.write(newMessage(caller, roomId, input));
      if (row) return toMessage(row);
      // Nothing stored: an earlier send with this clientMsgId, or not a member (say which).
      if (input.clientMsgId !== undefined) {
        const [prior] = await byClientMsgId.execute({ tenantId: caller.tenantId, roomId, senderId: caller.userId, clientMsgId: input.clientMsgId });
        if (prior) return announce(prior);
      }
      await requireMember(caller, roomId);
      // Added to the room between the insert and the check: store it now.
      const again = await writer.write(newMessage(caller, roomId, input));
      if (!again) throw new AppError("CONFLICT", "message not stored, send it again");
      return toMessage(again);
    },

    /** The edit and its message:edited delivery commit together (outbox); edits are rare, so a transaction of their own. */
    async editMessage(caller: Caller, messageId: number, content: string): Promise<MessageEdited> {
      const edited = await outbox.transaction(async (tx) => {
        const [row] = await tx
          .update(messages)
          .set({ content, edited: true, updatedAt: sql`now()` })
          .where(and(eq(messages.tenantId, caller.tenantId), eq(messages.id, messageId), eq(messages.senderId, caller.userId), isNull(messages.deletedAt)))
          .returning();
        if (!row) return { result: null, messages: [] };
        const updatedAt = row.updatedAt.toISOString();
        const data: MessageEdited = { messageId: row.id, roomId: row.roomId, content: row.content, updatedAt, timestamp: updatedAt };
        const id = `chat-edited-${row.id}-${row.updatedAt.getTime()}`;
        return { result: data, messages: [outboxDelivery({ tenantId: caller.tenantId, target: toRoom(row.roomId), event: "message:edited", data, id })] };
      });
      return edited ?? refuseChange(caller, messageId);
    },

    /** Soft delete: the row stays for audit, history and edits stop seeing it. */
    async deleteMessage(caller: Caller, messageId: number): Promise<MessageDeleted> {
      const deleted = await outbox.transaction(async (tx) => {
        const [row] = await tx
          .update(messages)
          .set({ deletedAt: sql`now()` })
          .where(and(eq(messages.tenantId, caller.tenantId), eq(messages.id, messageId), eq(messages.senderId, caller.userId), isNull(messages.deletedAt)))
          .returning({ id: messages.id, roomId: messages.roomId, deletedAt: messages.deletedAt });
        if (!row) return { result: null, messages: [] };
        const data: MessageDeleted = { messageId: row.id, roomId: row.roomId, timestamp: row.deletedAt!.toISOString() };
        return {
          result: data,
          messages: [outboxDelivery({ tenantId: caller.tenantId, target: toRoom(row.roomId), event: "message:deleted", data, id: `chat-deleted-${row.id}` })],
        };
      });
      return deleted ?? refuseChange(caller, messageId);
    },

    /** Newest first; `nextBefore` is the cursor of the next older page, null on the last one. */
    async history(caller: Caller, roomId: number, q: HistoryQuery): Promise<HistoryPage> {
      await requireMember(caller, roomId);
      const rows = await db
        .select()
        .from(messages)
        .where(and(eq(messages.tenantId, caller.tenantId), eq(messages.roomId, roomId), isNull(messages.deletedAt), q.before !== undefined ? lt(messages.id, q.before) : undefined))
        .orderBy(desc(messages.id))
        .limit(q.limit + 1);
      const page = rows.slice(0, q.limit);
      const more = rows.length > q.limit;
      return { messages: page.map(toMessage), nextBefore: more ? page[page.length - 1]!.id : null };
    },
  };
}
