import { expect, test } from "bun:test";
import { Limiter } from "./limiter.ts";
import { MemoryLimiterStore } from "./limiter-memory.ts";

const specs = {
  message: { capacity: 10, windowMs: 60_000 },
  typing: { capacity: 30, windowMs: 60_000 },
  default: { capacity: 120, windowMs: 60_000 },
  handshake: { capacity: 2, windowMs: 1_000 },
  tenant: { capacity: 100, windowMs: 60_000 },
};

test("a bucket allows its capacity per window, then refills; keys and classes are separate", async () => {
  const store = new MemoryLimiterStore();
  const l = new Limiter(store, specs);
  const results = await Promise.all(Array.from({ length: 11 }, () => l.take("message", "t:u", 0)));
  expect(results.filter((r) => r.ok).length).toBe(10);
  // One token every 6 s: the refusal says how long until the next.
  expect(results[10]).toEqual({ ok: false, retryAfterMs: 6000 });
  expect(await l.take("message", "t:u", 3_000)).toEqual({ ok: false, retryAfterMs: 3000 });
  expect(await l.take("message", "t:u", 6_000)).toEqual({ ok: true });
  expect((await l.take("message", "t:u", 6_000)).ok).toBe(false);
  expect((await l.take("message", "t:other", 6_000)).ok).toBe(true);
  expect((await l.take("typing", "t:u", 6_000)).ok).toBe(true);
  store.stop();
});

test("spend throws RATE_LIMITED with retryAfterMs; full buckets are pruned", async () => {
  const store = new MemoryLimiterStore();
  const l = new Limiter(store, specs);
  await l.spend("handshake", "1.2.3.4", "x");
  await l.spend("handshake", "1.2.3.4", "x");
  const err = await l.spend("handshake", "1.2.3.4", "too many").catch((e) => e);
  expect(err.toBody()).toMatchObject({ code: "RATE_LIMITED", message: "too many" });
  expect(err.retryAfterMs).toBeGreaterThan(0);
  expect(err.retryAfterMs).toBeLessThanOrEqual(500);
  expect(store.size).toBe(1);
  store.prune(Date.now() + 1_000);
  expect(store.size).toBe(0);
  store.stop();
});
