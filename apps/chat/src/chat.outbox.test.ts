import { sql } from "drizzle-orm";
import { crashAfterCommit } from "@rt/service-kit";
import { afterEach, describe, expect, test } from "bun:test";
import { deliveriesOf, eventually, startServices, uniqueTenant } from "@rt/testkit";
import { chatService } from "./service.ts";

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
      const stored = ((Array.isArray(r) ? r : (r as { rows: unknown[] }).rows)[0] as { n: number }).n;
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
});
