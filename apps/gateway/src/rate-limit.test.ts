import { expect, test } from "bun:test";
import { RateLimiter } from "./rate-limit.ts";

test("a bucket allows its limit per minute, then refills", () => {
  const r = new RateLimiter({ message: 10, typing: 30, default: 120 });
  const results = Array.from({ length: 11 }, () => r.take("t:u", "message", 0));
  expect(results.filter(Boolean).length).toBe(10);
  expect(r.take("t:u", "message", 6_000)).toBe(true);
  expect(r.take("t:u", "message", 6_000)).toBe(false);
  expect(r.take("t:other", "message", 6_000)).toBe(true);
  expect(r.take("t:u", "typing", 6_000)).toBe(true);
});
