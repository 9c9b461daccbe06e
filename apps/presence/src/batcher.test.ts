import { expect, test } from "bun:test";
import { PresenceBatcher } from "./batcher.ts";

const W = 1000;
const M = 100;

test("one batch per tenant per window, each user once, windows aligned to the clock", () => {
  const b = new PresenceBatcher(W, M);
  b.note("t1", "ann", 10_100);
  b.note("t1", "bob", 10_200);
  b.note("t1", "ann", 10_300);
  b.note("t2", "cy", 10_400);
  expect(b.untilNextWindow(10_400)).toBe(600);
  expect(b.flush(11_001)).toEqual([
    { tenantId: "t1", window: 11, users: ["ann", "bob"] },
    { tenantId: "t2", window: 11, users: ["cy"] },
  ]);
  // Nothing changed since: no batch at all.
  expect(b.flush(12_001)).toEqual([]);
});

test("a change within the margin of a window's end is in the next batch too; a change after the boundary waits for its own window", () => {
  const b = new PresenceBatcher(W, M);
  b.note("t", "early", 10_500);
  b.note("t", "edge", 10_950);
  b.note("t", "late", 11_000);
  expect(b.flush(11_005)).toEqual([{ tenantId: "t", window: 11, users: ["early", "edge"] }]);
  expect(b.flush(12_002)).toEqual([{ tenantId: "t", window: 12, users: ["edge", "late"] }]);
  expect(b.flush(13_001)).toEqual([]);
});

test("two replicas whose clocks differ by less than the margin: whichever copy of each window a gateway keeps, the change is in one", () => {
  const a = new PresenceBatcher(W, M);
  const c = new PresenceBatcher(W, M);
  // The same change seen at 10_980 by one replica and 11_030 by the other: in different windows.
  a.note("t", "u", 10_980);
  c.note("t", "u", 11_030);
  const a11 = a.flush(11_001);
  const c11 = c.flush(11_001);
  const a12 = a.flush(12_001);
  const c12 = c.flush(12_001);
  expect(a11.map((x) => x.users)).toEqual([["u"]]);
  expect(c11).toEqual([]);
  // Window 12 from either replica carries it.
  expect(a12).toEqual([{ tenantId: "t", window: 12, users: ["u"] }]);
  expect(c12).toEqual([{ tenantId: "t", window: 12, users: ["u"] }]);
});

test("a late timer flushes up to the latest boundary", () => {
  const b = new PresenceBatcher(W, M);
  b.note("t", "u", 10_100);
  b.note("t", "v", 11_500);
  expect(b.flush(12_300)).toEqual([{ tenantId: "t", window: 12, users: ["u", "v"] }]);
});
