import { expect, test } from "bun:test";
import { isForward, shouldApply } from "./invoice-status.ts";

test("only forward moves: pending → paid | failed | canceled, paid → refunded, finals stay", () => {
  const forward = ["pending>paid", "pending>failed", "pending>canceled", "pending>refunded", "paid>refunded"];
  const all = ["pending", "paid", "failed", "canceled", "refunded"] as const;
  for (const from of all) for (const to of all) expect(isForward(from, to)).toBe(forward.includes(`${from}>${to}`));
});

test("a new invoice takes any status; an older legal event is ignored, an undated one is ordered by status only", () => {
  const t = (s: number) => new Date(s * 1000);
  expect(shouldApply(undefined, { status: "refunded" })).toBe(true);
  expect(shouldApply({ status: "pending", eventAt: t(10) }, { status: "paid", created: t(9) })).toBe(false);
  expect(shouldApply({ status: "pending", eventAt: t(10) }, { status: "paid", created: t(10) })).toBe(true);
  expect(shouldApply({ status: "pending", eventAt: t(10) }, { status: "paid" })).toBe(true);
  expect(shouldApply({ status: "pending", eventAt: null }, { status: "paid", created: t(1) })).toBe(true);
  expect(shouldApply({ status: "paid", eventAt: null }, { status: "pending", created: t(99) })).toBe(false);
});
