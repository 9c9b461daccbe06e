import { afterAll, beforeAll, expect, test } from "bun:test";
import { TEST_API_KEY, emitAck, recorder, startPlatform, type TestPlatform } from "@rt/testkit";

// The whole path: publish API → gateway numbers and has sync keep it → sync:since over a socket.
let p: TestPlatform;
beforeAll(async () => {
  p = await startPlatform({ env: { RECOVERY_MS: "1000" } });
}, 30_000);
afterAll(() => p?.stop());

const publish = async (id: number) => {
  const res = await p.fetch("/api/publish", {
    method: "POST",
    headers: { "x-api-key": TEST_API_KEY },
    json: { tenantId: p.tenant, target: { kind: "sync", id: "Rental" }, event: "data-change", data: { action: "UPDATE", data: { id } } },
  });
  expect(res.status).toBeLessThan(300);
};
const seqs = (changes: Array<{ seq: number }>) => changes.map((c) => c.seq);
async function until(check: () => boolean, ms = 10_000) {
  for (const end = Date.now() + ms; !check(); await Bun.sleep(20)) if (Date.now() > end) throw new Error("condition not met in time");
}

test("a client back after the recovery window catches up with sync:since exactly, in order, then continues live", async () => {
  const sock = await p.connect({ sub: "sync-u" });
  const seen = recorder(sock);
  expect((await emitAck(sock, "join-data-sync", { entityTypes: ["Rental"] })).ok).toBe(true);
  for (const id of [1, 2]) await publish(id);
  await until(() => seen.of("data-change").length === 2);
  const last = Math.max(...seen.of("data-change").map((d) => (d as { seq: number }).seq));

  // The connection drops and stays away longer than RECOVERY_MS (1 s here) while 25 changes happen.
  sock.io.engine.close();
  await until(() => !sock.connected);
  for (let id = 3; id <= 27; id++) await publish(id);
  await Bun.sleep(1500);
  sock.connect(); // offers its session id and offset, as a reconnect does
  await until(() => sock.connected);
  expect(sock.recovered).toBe(false);
  expect(seen.of("data-change")).toHaveLength(2); // the gap was not replayed
  expect((await emitAck(sock, "join-data-sync", { entityTypes: ["Rental"] })).ok).toBe(true);

  // Catch up, 10 at a time.
  const caught: Array<{ seq: number; data: { id: number } }> = [];
  for (let after = last; ; ) {
    const r = await emitAck(sock, "sync:since", { entityType: "Rental", afterSeq: after, limit: 10 });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.data.complete).toBe(true);
    caught.push(...r.data.changes);
    if (r.data.changes.length === 0 || r.data.changes.at(-1).seq >= r.data.latestSeq) break;
    after = r.data.changes.at(-1).seq;
  }
  expect(seqs(caught)).toEqual(Array.from({ length: 25 }, (_, i) => last + 1 + i));
  expect(caught.map((c) => c.data.id)).toEqual(Array.from({ length: 25 }, (_, i) => i + 3));

  // Live again.
  await publish(28);
  await until(() => seen.of("data-change").length === 3);
  expect((seen.of("data-change")[2] as { seq: number }).seq).toBe(last + 26);

  // Refusals: bad payloads, and another tenant sees none of it.
  for (const data of [{ entityType: "Rental" }, { entityType: "bad type", afterSeq: 0 }, { entityType: "Rental", afterSeq: -1 }]) {
    const r = await emitAck(sock, "sync:since", data);
    expect(r.ok ? "OK" : r.error.code).toBe("VALIDATION");
  }
  const other = await p.connect({ sub: "sync-u", tenantId: `${p.tenant}-other` });
  expect(await emitAck(other, "sync:since", { entityType: "Rental", afterSeq: 0 })).toEqual({ ok: true, data: { changes: [], latestSeq: 0, complete: true } });
}, 60_000);
