import { sql } from "drizzle-orm";
import type { MessageCreateBody, SvcContext } from "@rt/contracts";
import type { Db } from "@rt/db";
import { captureTrace, withCaptured, type CapturedTrace } from "@rt/service-kit";
import { members, messages } from "./schema.ts";

export type MessageRow = typeof messages.$inferSelect;
/** One send as stored: the verified caller's identity, never input's. */
export interface NewMessage {
  tenantId: string;
  roomId: number;
  senderId: string;
  senderName: string;
  content: string;
  type: string;
  fileUrl: string | null;
  clientMsgId: string | null;
}
/** Stored, or skipped: the sender is not (or no longer) a member, or the clientMsgId was already stored. */
export type WriteResult = MessageRow | null;

/** Most rows one statement carries; more wait for the next round. */
const MAX_BATCH = 256;

export const newMessage = (caller: Pick<SvcContext, "tenantId" | "userId" | "name">, roomId: number, input: MessageCreateBody): NewMessage => ({
  tenantId: caller.tenantId,
  roomId,
  senderId: caller.userId,
  senderName: caller.name,
  content: input.content,
  type: input.type,
  fileUrl: input.fileUrl ?? null,
  clientMsgId: input.clientMsgId ?? null,
});

/**
 * Group commit of message inserts. While one statement is in flight the next sends wait, then go
 * as one multi-row INSERT … SELECT FROM jsonb_to_recordset … JOIN members … ON CONFLICT (the
 * partial unique index on the client message id) DO NOTHING RETURNING: one round trip and one
 * commit for many messages, each sender's membership re-checked by the JOIN in the same statement.
 * Each caller gets its row only after the commit, and `onStored` sees a batch's rows in id order
 * (so a room's broadcasts leave in the order they were stored), each under its own sender's trace (id and span). A failing batch (one bad value) is
 * retried row by row so only the bad row fails. No synchronous_commit games: each batch is durable.
 */
export function createMessageWriter(db: Db, onStored: (row: MessageRow) => void) {
  // Prepared once: Postgres parses and plans these statements once per connection, not per send.
  const batchInsert = db
    .insert(messages)
    .select(
      sql`select nextval(pg_get_serial_sequence('chat.messages', 'id')), i.tenant_id, i.room_id, i.sender_id, i.sender_name, i.content, i.type,
                 i.file_url, i.client_msg_id, now(), now(), false, null
          from jsonb_to_recordset(${sql.placeholder("rows")}::jsonb)
               as i(ord int, tenant_id text, room_id int, sender_id text, sender_name text, content text, type text, file_url text, client_msg_id text)
          join ${members} m on m.tenant_id = i.tenant_id and m.room_id = i.room_id and m.user_id = i.sender_id
          order by i.ord`,
    )
    .onConflictDoNothing({ target: [messages.tenantId, messages.roomId, messages.senderId, messages.clientMsgId], where: sql`client_msg_id is not null` })
    .returning()
    .prepare("chat_messages_insert_batch");
  const oneInsert = db
    .insert(messages)
    .select(
      sql`select nextval(pg_get_serial_sequence('chat.messages', 'id')), ${sql.placeholder("tenantId")}, m.room_id, m.user_id, ${sql.placeholder("senderName")},
                 ${sql.placeholder("content")}, ${sql.placeholder("type")}, ${sql.placeholder("fileUrl")}, ${sql.placeholder("clientMsgId")}, now(), now(), false, null
          from ${members} m where m.tenant_id = ${sql.placeholder("tenantId")} and m.room_id = ${sql.placeholder("roomId")} and m.user_id = ${sql.placeholder("senderId")}`,
    )
    .onConflictDoNothing({ target: [messages.tenantId, messages.roomId, messages.senderId, messages.clientMsgId], where: sql`client_msg_id is not null` })
    .returning()
    .prepare("chat_messages_insert_one");

  type Pending = { msg: NewMessage; trace: CapturedTrace; resolve: (r: WriteResult) => void; reject: (e: unknown) => void };
  let queue: Pending[] = [];
  let writing = false;

  /** The row of each input, matched in order: rows come back in insertion (= input) order, minus the skipped. */
  function match(batch: Pending[], rows: MessageRow[]): WriteResult[] {
    const out: WriteResult[] = [];
    let r = 0;
    for (const { msg } of batch) {
      const row = rows[r];
      const same =
        row !== undefined &&
        row.tenantId === msg.tenantId &&
        row.roomId === msg.roomId &&
        row.senderId === msg.senderId &&
        row.clientMsgId === msg.clientMsgId &&
        row.content === msg.content;
      out.push(same ? row : null);
      if (same) r++;
    }
    return out;
  }

  async function writeBatch(batch: Pending[]) {
    let rows: MessageRow[];
    try {
      const json = JSON.stringify(
        batch.map(({ msg: m }, ord) => ({
          ord,
          tenant_id: m.tenantId,
          room_id: m.roomId,
          sender_id: m.senderId,
          sender_name: m.senderName,
          content: m.content,
          type: m.type,
          file_url: m.fileUrl,
          client_msg_id: m.clientMsgId,
        })),
      );
      rows = ((await batchInsert.execute({ rows: json })) as MessageRow[]).sort((a, b) => a.id - b.id);
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      // One bad row must not fail the others: each alone, in order.
      for (const p of batch) await writeBatch([p]);
      return;
    }
    settle(batch, match(batch, rows));
  }

  /**
   * Publish, then answer each caller: after the commit, never before. Input order is id order
   * (ids are drawn in input order), so walking the batch publishes in id order.
   */
  function settle(batch: Pending[], results: WriteResult[]) {
    batch.forEach((p, i) => {
      const row = results[i]!;
      try {
        if (row) withCaptured(p.trace, () => onStored(row));
      } catch (err) {
        p.reject(err);
        return;
      }
      p.resolve(row);
    });
  }

  async function drain() {
    writing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, MAX_BATCH);
        queue = queue.slice(batch.length);
        await (batch.length === 1 ? writeOne(batch[0]!) : writeBatch(batch));
      }
    } finally {
      writing = false;
    }
  }

  /** A lone send: the prepared single-row statement (same membership check and conflict rule). */
  async function writeOne(p: Pending) {
    let rows: MessageRow[];
    try {
      rows = (await oneInsert.execute({ ...p.msg })) as MessageRow[];
    } catch (err) {
      return p.reject(err);
    }
    settle([p], [rows[0] ?? null]);
  }

  return {
    /** Store one message (in the next round); null when skipped (see WriteResult). */
    write(msg: NewMessage): Promise<WriteResult> {
      return new Promise((resolve, reject) => {
        queue.push({ msg, trace: captureTrace(), resolve, reject });
        if (!writing) void drain();
      });
    },
  };
}
