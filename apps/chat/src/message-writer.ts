import { AsyncLocalStorage } from "node:async_hooks";
import { sql, type SQL } from "drizzle-orm";
import type { MessageCreateBody, SvcContext } from "@rt/contracts";
import type { Db } from "@rt/db";
import { captureTrace, crashPoint, withCaptured, type CapturedTrace, type Outbox } from "@rt/service-kit";
import { chatOutboxRows, members, messages } from "./schema.ts";

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

/** The envelope id of a message's `message:new`, and of its outbox row: gateways deliver an id once. */
export const messageEnvelopeId = (id: number) => `chat-message-${id}`;

/** A message row as `to_jsonb` writes it: column names, timestamps as ISO strings. */
type MessageJson = { [K in keyof MessageRow as SnakeCase<K & string>]: MessageRow[K] extends Date ? string : MessageRow[K] extends Date | null ? string | null : MessageRow[K] };
type SnakeCase<S extends string> = S extends `${infer H}${infer T}` ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${SnakeCase<T>}` : S;

/** A message row as the insert statement returns it (`to_jsonb`). */
export function messageRowOf(json: unknown): MessageRow {
  const j = json as MessageJson;
  return {
    id: Number(j.id),
    tenantId: j.tenant_id,
    roomId: j.room_id,
    senderId: j.sender_id,
    senderName: j.sender_name,
    content: j.content,
    type: j.type,
    fileUrl: j.file_url,
    clientMsgId: j.client_msg_id,
    createdAt: new Date(j.created_at),
    updatedAt: new Date(j.updated_at),
    edited: j.edited,
    deletedAt: j.deleted_at === null ? null : new Date(j.deleted_at),
  };
}

/** How long published messages' outbox keys wait for the next statement to delete them before a statement of their own. */
const MARK_SENT_IDLE_MS = 200;

/**
 * Group commit of message inserts, with their outbox keys. While one statement is in flight the
 * next sends wait, then go as one statement: a data-modifying CTE that INSERTs the messages
 * (… SELECT FROM jsonb_to_recordset … JOIN LATERAL members … ON CONFLICT (the partial unique index on the
 * client message id) DO NOTHING RETURNING) and, from what it returned, their ids into the outbox's
 * keys (`outbox_rows`: the message is its own `message:new`) — so a message is never stored
 * without its delivery, at no extra round trip or BEGIN/COMMIT. It also deletes the previous
 * round's keys (published by then); when no round follows, a statement of their own deletes them,
 * shortly after. Each sender's membership is re-checked by the JOIN: a lateral probe of the primary
 * key per row, since a plain join's plan, cached while members was small, hashed the whole table
 * every statement (12,890 seq scans reading 51M rows of members in one bench A/B).
 * Each caller gets its row only after the commit, and `onStored` (the publish) sees a batch's rows
 * in id order (so a room's broadcasts leave in the order they were stored), each under its own
 * sender's trace (id and span). A failing batch (one bad value) is retried row by row so only the bad row
 * fails. No synchronous_commit games: each batch is durable. A process that dies between the
 * commit and the publish leaves its rows unsent: the outbox relay publishes them.
 */
export function createMessageWriter(db: Db, outbox: Pick<Outbox, "markRowsSent">, onStored: (row: MessageRow) => void) {
  /** One statement: `inserted` (an INSERT INTO messages … RETURNING *) and its outbox keys; returns the rows. */
  const withOutbox = (name: string, inserted: SQL) => {
    const m = db.$with("m", { id: sql<number>`id`.as("id") }).as(inserted);
    // Keys a relay holds locked are skipped (it deletes them itself): the insert never waits on it.
    const sent = db.$with("s", { id: sql<number>`id`.as("id") }).as(
      sql`delete from ${chatOutboxRows}
            where id in (select id from ${chatOutboxRows} where id in (select jsonb_array_elements_text(${sql.placeholder("sent")}::jsonb)::bigint) for update skip locked)
            returning id`,
    );
    const keys = db.$with("k", { id: sql<number>`id`.as("id") }).as(sql`insert into ${chatOutboxRows} (id) select id from m returning id`);
    return db.with(m, sent, keys).select({ payload: sql<unknown>`to_jsonb(m)` }).from(m).orderBy(sql`m.id`).prepare(name);
  };
  const conflict = sql`on conflict (tenant_id, room_id, sender_id, client_msg_id) where client_msg_id is not null do nothing returning *`;
  // Prepared once: Postgres parses and plans these statements once per connection, not per send.
  const batchInsert = withOutbox(
    "chat_messages_insert_batch",
    sql`insert into ${messages}
        select nextval(pg_get_serial_sequence('chat.messages', 'id')), i.tenant_id, i.room_id, i.sender_id, i.sender_name, i.content, i.type,
               i.file_url, i.client_msg_id, now(), now(), false, null
        from jsonb_to_recordset(${sql.placeholder("rows")}::jsonb)
             as i(ord int, tenant_id text, room_id int, sender_id text, sender_name text, content text, type text, file_url text, client_msg_id text)
        cross join lateral (select 1 from ${members} mb where mb.tenant_id = i.tenant_id and mb.room_id = i.room_id and mb.user_id = i.sender_id limit 1) mb
        order by i.ord
        ${conflict}`,
  );
  const oneInsert = withOutbox(
    "chat_messages_insert_one",
    sql`insert into ${messages}
        select nextval(pg_get_serial_sequence('chat.messages', 'id')), ${sql.placeholder("tenantId")}, mb.room_id, mb.user_id, ${sql.placeholder("senderName")},
               ${sql.placeholder("content")}, ${sql.placeholder("type")}, ${sql.placeholder("fileUrl")}, ${sql.placeholder("clientMsgId")}, now(), now(), false, null
        from ${members} mb where mb.tenant_id = ${sql.placeholder("tenantId")} and mb.room_id = ${sql.placeholder("roomId")} and mb.user_id = ${sql.placeholder("senderId")}
        ${conflict}`,
  );

  /** Runs a function in the context the writer was created in: no send's trace. */
  const untraced = AsyncLocalStorage.snapshot();
  /** Ids of the messages published since the last statement; the next one deletes their keys. */
  let published: number[] = [];
  let markTimer: ReturnType<typeof setTimeout> | undefined;
  /** Hand the published ids to the next statement; undo with `putBack` if it fails. */
  function takePublished(): string {
    clearTimeout(markTimer);
    const ids = published;
    published = [];
    return JSON.stringify(ids);
  }
  const putBack = (json: string) => published.unshift(...(JSON.parse(json) as number[]));
  async function runInsert(stmt: typeof batchInsert, params: Record<string, unknown>): Promise<MessageRow[]> {
    const sent = takePublished();
    try {
      const out = (await stmt.execute({ ...params, sent })) as { payload: unknown }[];
      return out.map((o) => messageRowOf(o.payload));
    } catch (err) {
      putBack(sent);
      throw err;
    }
  }

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
      rows = (await runInsert(batchInsert, { rows: json })).sort((a, b) => a.id - b.id);
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
    try {
      crashPoint("chat");
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => {
      const row = results[i]!;
      try {
        if (row) {
          withCaptured(p.trace, () => onStored(row));
          published.push(row.id);
        }
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
    // No round followed to delete the last keys: a statement of their own, if none comes soon.
    if (published.length) {
      clearTimeout(markTimer);
      // Outside the trace of the send that started this round: it is nobody's work.
      markTimer = setTimeout(
        () =>
          untraced(() => {
            if (!writing && published.length) void outbox.markRowsSent(JSON.parse(takePublished()));
          }),
        MARK_SENT_IDLE_MS,
      );
      markTimer.unref?.();
    }
  }

  /** A lone send: the prepared single-row statement (same membership check and conflict rule). */
  async function writeOne(p: Pending) {
    let rows: MessageRow[];
    try {
      rows = await runInsert(oneInsert, { ...p.msg });
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
