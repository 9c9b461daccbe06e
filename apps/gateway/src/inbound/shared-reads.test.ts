import { afterAll, beforeAll, expect, test } from "bun:test";
import { emitAck, startPlatform, type TestPlatform } from "@rt/testkit";
import { type EncodedAck, SharedReads } from "./shared-reads.ts";

/** A call the test ends by hand, counting how often it was made. */
function gate() {
  const ends: Array<(v: unknown) => void> = [];
  const call = () => new Promise((resolve) => ends.push(resolve));
  return { call, ends };
}
const body = (a: EncodedAck) => JSON.parse(a.json);

test("a call arriving while one is on its way gets the next answer, shared by all who waited", async () => {
  const reads = new SharedReads(0);
  const g = gate();
  const first = reads.run("t", g.call);
  const [second, third] = [reads.run("t", g.call), reads.run("t", g.call)];
  expect(g.ends.length).toBe(1);
  g.ends[0]!(["a"]);
  expect(body(await first)).toEqual({ ok: true, data: ["a"] });
  // The waiting calls were not answered by the answer made before they came: one new request.
  await Bun.sleep(0);
  expect(g.ends.length).toBe(2);
  g.ends[1]!(["a", "b"]);
  expect(second).toBe(third);
  expect(body(await second)).toEqual({ ok: true, data: ["a", "b"] });
  await Bun.sleep(1);
  expect(reads.size).toBe(0);
  // Another key never waits for this one.
  const other = reads.run("u", async () => 1);
  expect(body(await other)).toEqual({ ok: true, data: 1 });
});

test("a call within gapMs of the last request's start waits for the gap; a lone call does not wait", async () => {
  const reads = new SharedReads(100);
  const starts: number[] = [];
  const call = async () => starts.push(performance.now());
  const t0 = performance.now();
  await reads.run("t", call);
  expect(starts[0]! - t0).toBeLessThan(20);
  const [b, c] = [reads.run("t", call), reads.run("t", call)];
  expect(b).toBe(c);
  await b;
  expect(starts.length).toBe(2);
  expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(99);
  await Bun.sleep(110);
  expect(reads.size).toBe(0);
  const t1 = performance.now();
  await reads.run("t", call);
  expect(starts[2]! - t1).toBeLessThan(20);
});

test("a failed call fails everyone who shares it, and the next call asks again", async () => {
  const reads = new SharedReads(0);
  let calls = 0;
  const failing = () => {
    calls++;
    return Promise.reject(new Error("boom"));
  };
  const [a, b] = [reads.run("t", failing), reads.run("t", failing)];
  expect(a).rejects.toThrow("boom");
  expect(b).rejects.toThrow("boom");
  await Promise.allSettled([a, b]);
  expect(calls).toBe(2);
  expect(body(await reads.run("t", async () => undefined))).toEqual({ ok: true });
  await Bun.sleep(1);
  expect(reads.size).toBe(0);
});

let p: TestPlatform;
beforeAll(async () => {
  // In process even in cluster mode: the test reads this gateway's /metrics.
  p = await startPlatform({ inProcess: true });
}, 30_000);
afterAll(() => p?.stop(), 30_000);

async function listRequests(): Promise<number> {
  const text = await (await p.fetch("/metrics")).text();
  const line = text.split("\n").find((l) => l.startsWith("rt_gateway_service_request_seconds_count") && l.includes('subject="rt.svc.presence.presence:list"'));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

test("presence:list asked by 40 sockets of a tenant at once: a few presence requests, every answer whole and as socket.io acks", async () => {
  const subs = Array.from({ length: 40 }, (_, i) => `sr-${i}`);
  const sockets = await Promise.all(subs.map((sub) => p.connect({ sub, name: sub })));
  const other = await p.connect({ sub: "sr-other", tenantId: `${p.tenant}-other` });
  const before = await listRequests();
  const [answers, otherAnswer] = await Promise.all([Promise.all(sockets.map((s) => emitAck(s, "presence:list"))), emitAck(other, "presence:list")]);
  const requests = (await listRequests()) - before;
  for (const a of answers) {
    if (!a.ok) throw new Error(JSON.stringify(a.error));
    expect(a.data.users.map((u: { userId: string }) => u.userId).sort()).toEqual([...subs].sort());
    expect(a.data.users[0]).toEqual({ userId: expect.any(String), name: expect.any(String), since: expect.any(String) });
  }
  // The other tenant's caller got its own tenant's list, not the shared one.
  expect(otherAnswer.ok && otherAnswer.data.users.map((u: { userId: string }) => u.userId)).toEqual(["sr-other"]);
  // 41 calls; one request per tenant on its way plus one for those that waited, give or take the arrival spread.
  expect(requests).toBeLessThanOrEqual(8);
}, 60_000);
