import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DeadLetter, subjects } from "@rt/contracts";
import type { Bus, EventRetry, LogEntry } from "./bus.ts";
import { busMetrics } from "./metrics.ts";
import { BusError } from "./errors.ts";

/**
 * The behaviour every Bus must have. Each implementation's test file calls this with a factory,
 * so the in-process bus cannot drift from NATS.
 */
export function runBusContract(name: string, make: (prefix: string, owner?: boolean, events?: EventRetry) => Promise<Bus>) {
  describe(`bus contract: ${name}`, () => {
    const prefix = `t${Math.random().toString(36).slice(2, 8)}`;
    let a: Bus;
    let b: Bus;
    beforeAll(async () => {
      a = await make(prefix, true);
      b = await make(prefix, true);
    });
    afterAll(async () => {
      await a.drain();
      await b.drain();
    });
    const subj = (s: string) => `${prefix}.${s}`;
    const until = async (cond: () => boolean, ms = 2000) => {
      const end = Date.now() + ms;
      while (!cond() && Date.now() < end) await Bun.sleep(5);
    };

    test("publish reaches every plain subscriber, with wildcards", async () => {
      const got: string[] = [];
      const s1 = a.subscribe(subj("x.*"), (d, s) => void got.push(`1:${s}:${(d as { n: number }).n}`));
      const s2 = b.subscribe(subj("x.>"), (d, s) => void got.push(`2:${s}:${(d as { n: number }).n}`));
      await a.flush();
      await b.flush();
      b.publish(subj("x.y"), { n: 1 });
      await until(() => got.length === 2);
      expect(got.sort()).toEqual([`1:${subj("x.y")}:1`, `2:${subj("x.y")}:1`]);
      s1.unsubscribe();
      s2.unsubscribe();
    });

    test("a subject already published to reaches subscribers added since, and not those removed", async () => {
      const got: string[] = [];
      const s1 = a.subscribe(subj("late.>"), () => void got.push("1"));
      await a.flush();
      b.publish(subj("late.x"), 1);
      await until(() => got.length === 1);
      const s2 = b.subscribe(subj("late.*"), () => void got.push("2"));
      await b.flush();
      b.publish(subj("late.x"), 2);
      await until(() => got.length === 3);
      s1.unsubscribe();
      await a.flush();
      b.publish(subj("late.x"), 3);
      await until(() => got.length === 4);
      await Bun.sleep(50);
      expect(got.sort()).toEqual(["1", "1", "2", "2"]);
      s2.unsubscribe();
    });

    test("a queue group gets each message once", async () => {
      let n = 0;
      const s1 = a.subscribe(subj("q"), () => void n++, { queue: "g" });
      const s2 = b.subscribe(subj("q"), () => void n++, { queue: "g" });
      await a.flush();
      await b.flush();
      for (let i = 0; i < 10; i++) a.publish(subj("q"), i);
      await until(() => n >= 10);
      await Bun.sleep(50);
      expect(n).toBe(10);
      s1.unsubscribe();
      s2.unsubscribe();
    });

    test("request/reply, no responders, timeout, throwing handler", async () => {
      const r = b.respond(subj("echo"), (d) => ({ echoed: d }), { queue: "svc" });
      const boom = b.respond(
        subj("boom"),
        () => {
          throw new Error("secret detail");
        },
        { queue: "svc" },
      );
      const slow = b.respond(subj("slow"), () => Bun.sleep(500).then(() => 1), { queue: "svc" });
      await b.flush();
      expect(await a.request(subj("echo"), { hi: 1 })).toEqual({ echoed: { hi: 1 } });
      const none = await a.request(subj("nobody"), {}).catch((e) => e);
      expect(none).toBeInstanceOf(BusError);
      expect((none as BusError).code).toBe("NO_RESPONDERS");
      const timeout = await a.request(subj("slow"), {}, { timeoutMs: 50 }).catch((e) => e);
      expect((timeout as BusError).code).toBe("TIMEOUT");
      const thrown = await a.request(subj("boom"), {});
      expect(thrown).toEqual({ ok: false, error: { code: "INTERNAL", message: "internal error" } });
      r.unsubscribe();
      boom.unsubscribe();
      slow.unsubscribe();
    });

    test("nextSeq counts up once per call, across connections, under concurrency", async () => {
      const key = `${prefix}-seq`;
      const got = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).nextSeq(key)));
      expect(got.sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });

    test("a responder also receives plain publishes", async () => {
      const got: unknown[] = [];
      const r = b.respond(subj("pr.>"), (d) => void got.push(d), { queue: "pr" });
      await b.flush();
      a.publish(subj("pr.x"), { n: 1 });
      await until(() => got.length === 1);
      expect(got).toEqual([{ n: 1 }]);
      r.unsubscribe();
    });

    test("delivery log: tailed in order by every process, read back by range and filter", async () => {
      const tA: number[] = [];
      const tB: Array<{ seq: number; n: number }> = [];
      const s1 = await a.tailLog(`rt.deliver.${prefix}.>`, (e) => tA.push(e.seq));
      const s2 = await b.tailLog(`rt.deliver.${prefix}.>`, (e) => tB.push({ seq: e.seq, n: (e.data as { n: number }).n }));
      await a.flush();
      for (let n = 1; n <= 5; n++) a.publish(`rt.deliver.${prefix}.user.${n % 2 ? "odd" : "even"}`, { n });
      await until(() => tA.length === 5 && tB.length === 5, 5000);
      expect(tB.map((e) => e.n)).toEqual([1, 2, 3, 4, 5]);
      expect(tA).toEqual(tB.map((e) => e.seq));
      const first = tB[0]!.seq;
      const last = tB[4]!.seq;
      const odd = await b.readLog(`rt.deliver.${prefix}.user.odd`, first - 1, last);
      expect(odd?.map((e) => (e.data as { n: number }).n)).toEqual([1, 3, 5]);
      const tail = await b.readLog(`rt.deliver.${prefix}.>`, tB[2]!.seq, last);
      expect(tail?.map((e) => (e.data as { n: number }).n)).toEqual([4, 5]);
      expect(await b.readLog(`rt.deliver.${prefix}.>`, last, last)).toEqual([]);
      s1.unsubscribe();
      s2.unsubscribe();
    });

    test("delivery log: a filtered tail gets only its subjects, each at its position in the whole log", async () => {
      const mine: Array<{ seq: number; n: number }> = [];
      const all: Array<{ seq: number; n: number }> = [];
      const entry = (e: LogEntry) => ({ seq: e.seq, n: (e.data as { n: number }).n });
      const t1 = await b.tailLog(`rt.deliver.${prefix}x1.>`, (e) => mine.push(entry(e)));
      const t2 = await b.tailLog(`rt.deliver.${prefix}x2.>`, (e) => expect.unreachable(`${e.subject} reached another tenant's tail`));
      const t3 = await a.tailLog(`rt.deliver.${prefix}x1.room.*`, (e) => all.push(entry(e)));
      const t4 = await a.tailLog(`rt.deliver.${prefix}x0.>`, () => {});
      await a.flush();
      for (let n = 1; n <= 6; n++) a.publish(`rt.deliver.${prefix}${n % 2 ? "x1" : "x0"}.room.r`, { n });
      await until(() => mine.length === 3 && all.length === 3, 5000);
      expect(mine.map((e) => e.n)).toEqual([1, 3, 5]);
      expect(all).toEqual(mine);
      // Positions of the whole log: the other tenant's entries lie between.
      expect(mine[1]!.seq - mine[0]!.seq).toBe(2);
      expect(mine[0]!.seq).toBeGreaterThan(t1.startSeq);
      for (const t of [t1, t2, t3, t4]) t.unsubscribe();
    });

    test("delivery log: a burst of 2,000 publishes is all stored, in order, once flush returns", async () => {
      const t = await a.tailLog(`rt.deliver.${prefix}.>`, () => {});
      const start = t.startSeq;
      t.unsubscribe();
      for (let n = 0; n < 2000; n++) a.publish(`rt.deliver.${prefix}.room.burst`, { n });
      await a.flush();
      const stored = await b.readLog(`rt.deliver.${prefix}.room.burst`, start, Number.MAX_SAFE_INTEGER);
      expect(stored?.map((e) => (e.data as { n: number }).n)).toEqual(Array.from({ length: 2000 }, (_, n) => n));
    });

    test("kv: shared between processes, deletable", async () => {
      const ka = await a.kv(`${prefix}_kv`, { ttlMs: 60_000 });
      const kb = await b.kv(`${prefix}_kv`, { ttlMs: 60_000 });
      await ka.put("k1", { rooms: ["x"] });
      expect(await kb.get("k1")).toEqual({ rooms: ["x"] });
      await kb.delete("k1");
      expect(await ka.get("k1")).toBeNull();
      expect(await ka.get("never")).toBeNull();
    });

    test("kv: entries lists the live ones; deleteIf deletes only an unchanged entry", async () => {
      const ka = await a.kv(`${prefix}_kv2`, { ttlMs: 60_000 });
      const kb = await b.kv(`${prefix}_kv2`, { ttlMs: 60_000 });
      await ka.put("x", { n: 1 });
      await ka.put("y", { n: 2 });
      await ka.delete("y");
      const [x] = await kb.entries();
      expect(await kb.entries()).toEqual([{ key: "x", value: { n: 1 }, revision: x!.revision }]);
      await ka.put("x", { n: 3 });
      expect(await kb.deleteIf("x", x!.revision)).toBe(false);
      expect(await kb.get("x")).toEqual({ n: 3 });
      const [x2] = await kb.entries();
      expect(await kb.deleteIf("x", x2!.revision)).toBe(true);
      expect(await ka.get("x")).toBeNull();
      expect(await ka.entries()).toEqual([]);
    });

    test("kv: entries with a prefix lists only the keys under `<prefix>.`", async () => {
      const ka = await a.kv(`${prefix}_kvp`, { ttlMs: 60_000 });
      const kb = await b.kv(`${prefix}_kvp`, { ttlMs: 60_000 });
      await ka.put("gw-1.a", { n: 1 });
      await ka.put("gw-1.b", { n: 2 });
      await ka.put("gw-10.c", { n: 3 });
      await ka.put("gw-1", { n: 4 });
      await ka.delete("gw-1.b");
      expect((await kb.entries("gw-1")).map((e) => [e.key, e.value])).toEqual([["gw-1.a", { n: 1 }]]);
      expect((await kb.entries("gw-10")).map((e) => e.key)).toEqual(["gw-10.c"]);
      expect(await kb.entries("gw-2")).toEqual([]);
      expect((await kb.entries()).map((e) => e.key).sort()).toEqual(["gw-1", "gw-1.a", "gw-10.c"]);
    });

    test("kv: putIf writes only at the revision read (0: only if absent); of two racing writers one wins", async () => {
      const ka = await a.kv(`${prefix}_cas`, { ttlMs: 60_000 });
      const kb = await b.kv(`${prefix}_cas`, { ttlMs: 60_000 });
      expect(await ka.entry("c")).toBeNull();
      expect(await ka.putIf("c", { n: 1 }, 0)).toBe(true);
      expect(await kb.putIf("c", { n: 9 }, 0)).toBe(false);
      const e = (await kb.entry("c"))!;
      expect(e.value).toEqual({ n: 1 });
      const won = await Promise.all([ka.putIf("c", { n: 2 }, e.revision), kb.putIf("c", { n: 3 }, e.revision)]);
      expect(won.filter(Boolean).length).toBe(1);
      expect((await ka.get("c")) as { n: number }).toEqual(won[0] ? { n: 2 } : { n: 3 });
      expect(await ka.putIf("c", { n: 4 }, e.revision)).toBe(false);
    });

    test("kv: an entry is gone once the bucket's ttl has passed since its last write, from get and entries", async () => {
      const ka = await a.kv(`${prefix}_ttl`, { ttlMs: 1000 });
      await ka.put("old", { n: 1 });
      await Bun.sleep(600);
      await ka.put("young", { n: 2 });
      const end = Date.now() + 5000;
      while ((await ka.get("old")) !== null && Date.now() < end) await Bun.sleep(100);
      expect(await ka.get("old")).toBeNull();
      expect((await ka.entries()).map((e) => e.key)).toEqual(["young"]);
      while ((await ka.get("young")) !== null && Date.now() < end + 2000) await Bun.sleep(100);
      expect(await ka.get("young")).toBeNull();
      expect(await ka.entries()).toEqual([]);
    }, 15_000);

    test("drain lets a request already being handled reply", async () => {
      const c = await make(prefix, false);
      c.respond(subj("slow-drain"), () => Bun.sleep(200).then(() => "done"), { queue: "sd" });
      await c.flush();
      const pending = a.request(subj("slow-drain"), {}, { timeoutMs: 2000 });
      await Bun.sleep(50);
      await c.drain();
      expect(await pending).toBe("done");
    });

    test("a publish after drain is dropped without throwing at the caller", async () => {
      const c = await make(prefix, false);
      await c.drain();
      expect(() => c.publish(subj("late"), { n: 1 })).not.toThrow();
    });

    test("durable events: deduplicated by msgId, shared by a durable name, redelivered on failure", async () => {
      const got: unknown[] = [];
      let failOnce = true;
      const durable = `${prefix}-c`;
      const c1 = await a.consumeEvents({ durable, subjects: [`rt.evt.${prefix}.>`] }, async (d) => {
        if (failOnce && (d as { n: number }).n === 2) {
          failOnce = false;
          throw new Error("transient");
        }
        got.push(d);
      });
      const c2 = await b.consumeEvents({ durable, subjects: [`rt.evt.${prefix}.>`] }, async (d) => void got.push(d));
      await a.publishEvent(`rt.evt.${prefix}.a`, { n: 1 }, { msgId: `${prefix}-1` });
      await a.publishEvent(`rt.evt.${prefix}.a`, { n: 1 }, { msgId: `${prefix}-1` });
      await b.publishEvent(`rt.evt.${prefix}.b`, { n: 2 }, { msgId: `${prefix}-2` });
      await until(() => got.length >= 2, 5000);
      await Bun.sleep(100);
      expect(got.map((d) => (d as { n: number }).n).sort()).toEqual([1, 2]);
      c1.unsubscribe();
      c2.unsubscribe();
    });
  });

  describe(`bus contract: ${name}: failed events are retried, then dead-lettered, never dropped`, () => {
    test("a handler failing for 12 s (a database outage past the old 10 tries × 1 s) still processes the event after it, once", async () => {
      const prefix = `t${Math.random().toString(36).slice(2, 8)}`;
      const a = await make(prefix, true, { maxAgeMs: 60_000, backoffMs: [100, 250, 500, 1000], deadLetterMarginMs: 5_000 });
      const done: unknown[] = [];
      let attempts = 0;
      const outageEnds = Date.now() + 12_000;
      const c = await a.consumeEvents({ durable: `${prefix}-outage`, subjects: [`rt.evt.${prefix}.>`] }, async (d) => {
        attempts++;
        if (Date.now() < outageEnds) throw new Error("database unavailable");
        done.push(d);
      });
      await a.publishEvent(`rt.evt.${prefix}.x`, { n: 1 }, { msgId: `${prefix}-1` });
      const end = Date.now() + 40_000;
      while (done.length === 0 && Date.now() < end) await Bun.sleep(50);
      await Bun.sleep(500);
      console.log(`${name}: outage 12 s, attempts ${attempts}, processed ${done.length}`);
      expect(done).toEqual([{ n: 1 }]);
      expect(attempts).toBeGreaterThan(10);
      c.unsubscribe();
      await a.drain();
    }, 60_000);

    test("an event failing until its retention nearly ends lands on the dead-letter subject, counted, once", async () => {
      const prefix = `t${Math.random().toString(36).slice(2, 8)}`;
      const a = await make(prefix, true, { maxAgeMs: 4_000, backoffMs: [100, 200, 400], deadLetterMarginMs: 1_000 });
      const durable = `${prefix}-dlq`;
      const before = (await busMetrics.deadLetters.get()).values.find((v) => v.labels.durable === durable)?.value ?? 0;
      const letters: unknown[] = [];
      const watch = a.subscribe(subjects.deadLetterAll, (d, s) => void (s === subjects.deadLetter(durable, `rt.evt.${prefix}.x`) && letters.push(d)));
      await a.flush();
      let attempts = 0;
      const c = await a.consumeEvents({ durable, subjects: [`rt.evt.${prefix}.>`] }, async () => {
        attempts++;
        throw new Error("still failing");
      });
      const publishedAt = Date.now();
      await a.publishEvent(`rt.evt.${prefix}.x`, { n: 7 }, { msgId: `${prefix}-7` });
      const end = Date.now() + 15_000;
      while (letters.length === 0 && Date.now() < end) await Bun.sleep(50);
      const movedAfter = Date.now() - publishedAt;
      await Bun.sleep(1_500); // past the retention: nothing more arrives, nothing is retried
      const after = (await busMetrics.deadLetters.get()).values.find((v) => v.labels.durable === durable)?.value ?? 0;
      console.log(`${name}: dead-lettered after ${movedAfter} ms and ${attempts} attempts (retention 4000 ms)`);
      expect(letters).toHaveLength(1);
      const letter = DeadLetter.parse(letters[0]);
      expect(letter).toMatchObject({ subject: `rt.evt.${prefix}.x`, durable, data: { n: 7 }, error: "still failing" });
      expect(letter.deliveries).toBe(attempts);
      expect(movedAfter).toBeLessThan(4_000);
      expect(after - before).toBe(1);
      watch.unsubscribe();
      c.unsubscribe();
      await a.drain();
    }, 30_000);
  });
}
