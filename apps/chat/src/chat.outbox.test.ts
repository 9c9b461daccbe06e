import { sql } from "drizzle-orm";
import { executedRows } from "@rt/db";
import { Outbox, crashAfterCommit, createLogger } from "@rt/service-kit";
import { afterEach, describe, expect, test } from "bun:test";
import { deliveriesOf, eventually, startServices, uniqueTenant } from "@rt/testkit";
import { chatOutboxTables, chatService } from "./service.ts";

const as = (tenantId: string, userId: string) => ({ tenantId, userId, name: userId });

afterEach(() => {
  crashAfterCommit.point = null;
});

describe("chat outbox", () => {
  test("a crash between the messages' commit and their publish loses none: after a restart each is delivered exactly once", async () => {
    const t = uniqueTenant();
    const h = await startServices([chatService]);
    try {
      const room = await h.http("POST", "/api/chat/rooms", { ctx: as(t, "alice"), body: { name: "outbox", memberIds: ["bob"] } });
      const roomId = room.json.id as number;
      const sent = await h.call("chat.message:send", as(t, "alice"), { roomId, content: "before" });
      expect(sent.ok).toBe(true);

      crashAfterCommit.point = "chat";
      // A lone send and a group of concurrent sends (one batch statement) die after their commit.
      const lone = await h.call("chat.message:send", as(t, "alice"), { roomId, content: "lone" });
      const group = await Promise.all(Array.from({ length: 20 }, (_, i) => h.call("chat.message:send", as(t, i % 2 ? "alice" : "bob"), { roomId, content: `group ${i}` })));
      crashAfterCommit.point = null;
      expect([lone, ...group].filter((r) => r.ok)).toHaveLength(0);

      const r = await h.db.db.execute(sql`select count(*)::int as n from chat.messages where tenant_id = ${t}`);
      const stored = executedRows<{ n: number }>(r)[0]!.n;
      const envelopeIds = () => deliveriesOf(h, t, "message:new").map((d) => d.envelope.id);
      const before = new Set(envelopeIds()).size;
      await h.restartServices();
      const after = await eventually(() => envelopeIds().length >= stored && envelopeIds(), 20_000).catch(() => envelopeIds());
      // Two more relay rounds: nothing is published again.
      await Bun.sleep(2500);
      const ids = envelopeIds();
      console.log(`chat outbox: ${stored} stored, ${before} delivered before the restart, ${after.length} after, ${ids.length - new Set(ids).size} duplicated`);
      expect(stored).toBe(22);
      expect(new Set(ids).size).toBe(stored);
      expect(ids).toHaveLength(stored);
    } finally {
      await h.stop();
    }
  }, 60_000);

  test("an unsent message:new entry a replica from before outbox_rows wrote (a rolling upgrade) is published once, as the message it names", async () => {
    const t = uniqueTenant();
    const h = await startServices([chatService]);
    try {
      const room = await h.http("POST", "/api/chat/rooms", { ctx: as(t, "alice"), body: { name: "legacy", memberIds: [] } });
      const sent = await h.call("chat.message:send", as(t, "alice"), { roomId: room.json.id, content: "old replica" });
      expect(sent.ok).toBe(true);
      const id = (sent as { data: { id: number } }).data.id;
      // What the old writer left: its row entry, unsent, older than the relay's grace.
      await h.db.db.execute(
        sql`insert into chat.outbox (id, kind, subject, payload, created_at) select 'legacy-' || m.id, 'row', 'chat.messages', to_jsonb(m), now() - interval '1 minute' from chat.messages m where m.id = ${id}`,
      );
      const copies = () => deliveriesOf(h, t, "message:new").filter((d) => (d.envelope.data as { id: number }).id === id);
      await eventually(() => copies().length >= 2, 10_000);
      await Bun.sleep(2500);
      // The live publish and the relay's: one envelope id, so gateways deliver it once.
      expect(new Set(copies().map((d) => d.envelope.id)).size).toBe(1);
      const left = await h.db.db.execute(sql`select count(*)::int as n from chat.outbox where kind = 'row' and sent_at is null`);
      expect(executedRows<{ n: number }>(left)[0]!.n).toBe(0);
    } finally {
      await h.stop();
    }
  }, 30_000);

  test("the relay vacuums the outbox tables every vacuumEveryMs, so the statements that read them on every send stay cheap whatever autovacuum does", async () => {
    const h = await startServices([chatService]);
    const outbox = new Outbox({
      bus: h.bus,
      db: h.db,
      ...chatOutboxTables,
      log: createLogger({ name: "outbox-test", level: "silent" }),
      name: "chat-test",
      relayEveryMs: 100,
      vacuumEveryMs: 200,
    });
    try {
      const count = async () => {
        const r = await h.db.db.execute(sql`select vacuum_count::int as n from pg_stat_user_tables where schemaname = 'chat' and relname = 'outbox_rows'`);
        return executedRows<{ n: number }>(r)[0]!.n;
      };
      const before = await count();
      await eventually(async () => (await count()) > before, 10_000);
    } finally {
      await outbox.stop();
      await h.stop();
    }
  }, 30_000);
});
