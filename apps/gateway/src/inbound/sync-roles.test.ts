import { afterAll, beforeAll, expect, test } from "bun:test";
import { startPlatform, waitFor, TEST_API_KEY, type TestPlatform } from "@rt/testkit";

/**
 * SYNC_TYPE_ROLES restricts data-sync types to roles: a socket without one of them is refused
 * (FORBIDDEN, nothing joined) and cannot read its history (`sync:since`), and a token with fewer
 * roles leaves the restricted sync rooms.
 * Types not listed stay tenant-wide.
 */
let p: TestPlatform;
beforeAll(async () => {
  p = await startPlatform({ env: { SYNC_TYPE_ROLES: "Payroll=hr|admin" } });
});
afterAll(() => p.stop());

const change = (entityType: string) =>
  p.fetch("/api/publish", {
    method: "POST",
    headers: { "x-api-key": TEST_API_KEY },
    json: { tenantId: p.tenant, target: { kind: "sync", id: entityType }, event: "data-change", data: { entityType, action: "UPDATE", data: { id: 1 } } },
  });

test("a socket without a listed role is refused a restricted sync type (FORBIDDEN, nothing joined) and gets none of its changes", async () => {
  const s = await p.connect({ sub: "clerk", roles: ["staff"] });
  const ack = await s.timeout(5000).emitWithAck("join-data-sync", ["Payroll", "Task"]);
  expect(ack).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
  const got: string[] = [];
  s.on("data-change", (d: { entityType: string }) => got.push(d.entityType));
  expect(await s.timeout(5000).emitWithAck("join-data-sync", ["Task"])).toMatchObject({ ok: true });
  await change("Payroll");
  const task = waitFor(s, "data-change");
  await change("Task");
  await task;
  await Bun.sleep(200);
  expect(got).toEqual(["Task"]);
});

test("a listed role joins; authenticate with a token without it leaves the restricted room and keeps the tenant-wide one", async () => {
  const s = await p.connect({ sub: "payroll-clerk", roles: ["hr"] });
  expect(await s.timeout(5000).emitWithAck("join-data-sync", ["Payroll", "Task"])).toMatchObject({ ok: true });
  const got: string[] = [];
  s.on("data-change", (d: { entityType: string }) => got.push(d.entityType));
  const first = waitFor(s, "data-change");
  await change("Payroll");
  await first;
  const fewer = await p.token({ sub: "payroll-clerk", roles: ["staff"] });
  expect(await s.timeout(5000).emitWithAck("authenticate", { token: fewer })).toMatchObject({ ok: true });
  await change("Payroll");
  const task = waitFor(s, "data-change");
  await change("Task");
  await task;
  await Bun.sleep(200);
  expect(got).toEqual(["Payroll", "Task"]);
});

test("sync:since answers a restricted type only to a listed role (FORBIDDEN otherwise); unlisted types stay tenant-wide", async () => {
  const clerk = await p.connect({ sub: "since-clerk", roles: ["staff"] });
  expect(await clerk.timeout(5000).emitWithAck("sync:since", { entityType: "Payroll", afterSeq: 0 })).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
  expect(await clerk.timeout(5000).emitWithAck("sync:since", { entityType: "Task", afterSeq: 0 })).toMatchObject({ ok: true });
  const hr = await p.connect({ sub: "since-hr", roles: ["hr"] });
  expect(await hr.timeout(5000).emitWithAck("sync:since", { entityType: "Payroll", afterSeq: 0 })).toMatchObject({ ok: true });
});
