import { expect, test } from "bun:test";
import type { DataChange } from "@rt/contracts";
import { expectRefused, okData, servicesForFile, uniqueTenant } from "@rt/testkit";
import { syncService } from "./service.ts";
import { prune } from "./sync.ts";

const h = servicesForFile([syncService]);

const change = (entityType: string, seq: number, data: unknown = { id: seq }): DataChange => ({
  entityType,
  action: "UPDATE",
  data,
  userId: null,
  seq,
  timestamp: new Date().toISOString(),
});
const store = (tenantId: string, c: DataChange) => h.call("sync.store", { tenantId, userId: "platform:publish" }, c);
const since = (tenantId: string, data: unknown) => h.call("sync.sync:since", { tenantId, userId: "u1" }, data);

test("stored changes come back after afterSeq, in seq order, paged, once each (a repeated store is a no-op)", async () => {
  const t = uniqueTenant();
  for (const seq of [3, 1, 2, 5, 4]) expect(okData(await store(t, change("Rental", seq)))).toEqual({ stored: true });
  expect(okData(await store(t, change("Rental", 2, { id: "other" })))).toEqual({ stored: false });
  await store(t, change("Equipment", 1));

  const all = okData(await since(t, { entityType: "Rental", afterSeq: 0 }));
  expect(all.changes.map((c: DataChange) => c.seq)).toEqual([1, 2, 3, 4, 5]);
  expect(all.changes[1].data).toEqual({ id: 2 }); // the first copy stays
  expect(all).toMatchObject({ latestSeq: 5, complete: true });

  const pages: number[] = [];
  for (let after = 0; ; ) {
    const page = okData(await since(t, { entityType: "Rental", afterSeq: after, limit: 2 }));
    if (page.changes.length === 0) break;
    pages.push(...page.changes.map((c: DataChange) => c.seq));
    after = page.changes.at(-1).seq;
  }
  expect(pages).toEqual([1, 2, 3, 4, 5]);
  expect(okData(await since(t, { entityType: "Rental", afterSeq: 5 }))).toEqual({ changes: [], latestSeq: 5, complete: true });
  // Another tenant, the same type: nothing.
  expect(okData(await since(uniqueTenant(), { entityType: "Rental", afterSeq: 0 }))).toEqual({ changes: [], latestSeq: 0, complete: true });
});

test("past retention: pruned changes are gone and a client behind them hears complete: false", async () => {
  const t = uniqueTenant();
  for (const seq of [1, 2, 3]) await store(t, change("Job", seq));
  await prune(h, new Date(Date.now() + 1000)); // everything stored so far is older than this
  await store(t, change("Job", 4));
  expect(okData(await since(t, { entityType: "Job", afterSeq: 1 }))).toEqual({ changes: [expect.objectContaining({ seq: 4 })], latestSeq: 4, complete: false });
  expect(okData(await since(t, { entityType: "Job", afterSeq: 3 }))).toMatchObject({ latestSeq: 4, complete: true });
});

test("bad sync:since payloads are VALIDATION", async () => {
  const t = uniqueTenant();
  for (const data of [
    {},
    { entityType: "Rental" },
    { entityType: "a b", afterSeq: 0 },
    { entityType: "Rental", afterSeq: -1 },
    { entityType: "Rental", afterSeq: 0, limit: 501 },
    { entityType: "Rental", afterSeq: 1.5 },
  ])
    expectRefused(await since(t, data), "VALIDATION");
});
