import { expect, test } from "bun:test";
import { busStreams } from "@rt/contracts";
import { createMemoryNetwork, type KvStore } from "@rt/bus";
import { KvLimiterStore, LIMITS_BUCKET } from "./limiter-kv.ts";
import { MemoryLimiterStore } from "./limiter-memory.ts";

const spec = { capacity: 100, windowMs: 60_000 };
const takeN = (s: KvLimiterStore, n: number, now: number) => Promise.all(Array.from({ length: n }, () => s.take("k", spec, now)));

test("three stores on one bus share one bucket: leased tokens leave it, so the total never passes the capacity", async () => {
  const net = createMemoryNetwork({ streams: busStreams });
  const stores = await Promise.all([0, 1, 2].map(async () => new KvLimiterStore(await net.connect().kv(LIMITS_BUCKET, { ttlMs: 60_000 }), new MemoryLimiterStore())));
  const all = (await Promise.all(stores.map((s) => takeN(s, 100, 0)))).flat();
  expect(all.filter((v) => v.ok).length).toBe(100);
  // Refill: 1 token per 600 ms, for the cluster, not per store.
  const later = (await Promise.all(stores.map((s) => takeN(s, 5, 6_000)))).flat();
  expect(later.filter((v) => v.ok).length).toBeLessThanOrEqual(10);
  expect(later.find((v) => !v.ok)).toMatchObject({ ok: false, retryAfterMs: expect.any(Number) });
  for (const s of stores) s.stop();
});

test("an empty shared bucket is remembered: a flood after it costs no KV reads until the next token", async () => {
  const kv = await createMemoryNetwork({ streams: busStreams }).connect().kv(LIMITS_BUCKET, { ttlMs: 60_000 });
  let reads = 0;
  const counted: KvStore = { ...kv, entry: (k) => (reads++, kv.entry(k)) };
  const s = new KvLimiterStore(counted, new MemoryLimiterStore());
  await takeN(s, 100, 0);
  const before = reads;
  const flood = await takeN(s, 1000, 100);
  expect(flood.every((v) => !v.ok)).toBe(true);
  expect(reads - before).toBeLessThanOrEqual(1);
  s.stop();
});

test("when the KV store fails, events are counted by the local fallback store, not refused or thrown", async () => {
  const broken = { entry: () => Promise.reject(new Error("nats down")) } as unknown as KvStore;
  const s = new KvLimiterStore(broken, new MemoryLimiterStore());
  const v = await takeN(s, 101, 0);
  expect(v.filter((x) => x.ok).length).toBe(100);
  s.stop();
});
