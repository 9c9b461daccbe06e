import { expect, test } from "bun:test";
import { uniqueTenant, servicesForFile } from "@rt/testkit";
import { currentTrace, withTrace } from "@rt/service-kit";
import { chatService } from "./service.ts";
import { inArray } from "drizzle-orm";
import { createMessageWriter, type MessageRow, type NewMessage } from "./message-writer.ts";
import { chatOutboxRows } from "./schema.ts";

const h = servicesForFile([chatService]);
/** What the service's Outbox does with published messages' keys. */
const outbox = { markRowsSent: async (ids: number[]) => void (await h.db.db.delete(chatOutboxRows).where(inArray(chatOutboxRows.id, ids))) };

async function room() {
  const tenantId = uniqueTenant("writer");
  const res = await h.http("POST", "/api/chat/rooms", { ctx: { tenantId, userId: "alice" }, body: { name: "r", memberIds: ["bob"] } });
  expect(res.status).toBe(201);
  const msg = (over: Partial<NewMessage>): NewMessage => ({
    tenantId,
    roomId: res.json.id,
    senderId: "alice",
    senderName: "Alice",
    content: "hi",
    type: "TEXT",
    fileUrl: null,
    clientMsgId: null,
    ...over,
  });
  return { tenantId, msg };
}

/** A writer whose published batches are recorded. */
function recordingWriter() {
  const batches: MessageRow[][] = [];
  // Rows published in one synchronous run belong to one statement.
  let current: MessageRow[] | null = null;
  const writer = createMessageWriter(h.db.db, outbox, (row) => {
    if (!current) {
      batches.push((current = []));
      queueMicrotask(() => (current = null));
    }
    current.push(row);
  });
  return { batches, writer };
}

test("concurrent sends share statements; each is answered with its own row, published in id order", async () => {
  const { msg } = await room();
  const { batches, writer } = recordingWriter();
  const rows = await Promise.all(Array.from({ length: 40 }, (_, i) => writer.write(msg({ content: `m${i}`, senderId: i % 2 ? "bob" : "alice" }))));
  expect(rows.map((r) => r?.content)).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`));
  // Ids follow the order the sends arrived in, so a room's order is the senders' order.
  const ids = rows.map((r) => r!.id);
  expect(ids).toEqual([...ids].sort((a, b) => a - b));
  expect(batches.length).toBeLessThan(40);
  expect(batches.flat().map((r) => r.id)).toEqual(ids);
});

test("in one batch: a non-member's send and a repeated clientMsgId store nothing; the others are stored", async () => {
  const { msg } = await room();
  const { writer } = recordingWriter();
  const [a, outsider, first, repeat, b] = await Promise.all([
    writer.write(msg({ content: "a" })),
    writer.write(msg({ content: "x", senderId: "carol" })),
    writer.write(msg({ content: "once", clientMsgId: "k1" })),
    writer.write(msg({ content: "once again", clientMsgId: "k1" })),
    writer.write(msg({ content: "b" })),
  ]);
  expect([a?.content, outsider, first?.content, repeat, b?.content]).toEqual(["a", null, "once", null, "b"]);
});

test("one bad row fails alone: the rest of its batch is stored", async () => {
  const { msg } = await room();
  const { writer } = recordingWriter();
  const results = await Promise.allSettled([
    writer.write(msg({ content: "before" })),
    writer.write(msg({ content: "before 2" })),
    writer.write(msg({ content: "bad \u0000 byte" })),
    writer.write(msg({ content: "after" })),
  ]);
  expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
  const stored = results.flatMap((r) => (r.status === "fulfilled" ? [r.value!.content] : []));
  expect(stored).toEqual(["before", "before 2", "after"]);
});

test("each stored row is published under its own sender's trace id, even inside a shared statement", async () => {
  const { msg } = await room();
  const seen: [string, string | undefined][] = [];
  const writer = createMessageWriter(h.db.db, outbox, (row) => seen.push([row.content, currentTrace()]));
  await Promise.all(Array.from({ length: 10 }, (_, i) => withTrace(`trace-${i}`, () => writer.write(msg({ content: `m${i}` })))));
  expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => [`m${i}`, `trace-${i}`]));
});

test("each stored message has its outbox key in the same statement; the next statement deletes it once published, or one of its own does", async () => {
  const { msg } = await room();
  const published: number[] = [];
  const writer = createMessageWriter(h.db.db, outbox, (row) => published.push(row.id));
  const keysOf = async (ids: number[]) => (await h.db.db.select().from(chatOutboxRows).where(inArray(chatOutboxRows.id, ids))).map((k) => k.id);
  await writer.write(msg({ content: "lone" }));
  expect(await keysOf(published)).toEqual(published);
  // The next statement deletes the lone message's key, and writes its own messages' keys.
  let stored = 0;
  const second = Array.from({ length: 10 }, (_, i) => writer.write(msg({ content: `m${i}` })).then((r) => (stored++, r)));
  await second[0];
  expect(await keysOf([published[0]!])).toEqual([]);
  await Promise.all(second);
  expect(stored).toBe(10);
  // No statement follows: one of their own deletes the last keys.
  await Bun.sleep(600);
  expect(published).toHaveLength(11);
  expect(await keysOf(published)).toEqual([]);
});
