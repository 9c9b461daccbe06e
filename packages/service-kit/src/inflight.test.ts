import { expect, test } from "bun:test";
import { AppError } from "@rt/contracts";
import { InFlightLimit } from "./inflight.ts";

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))] ?? 0;

/** A resource that does `parallel` items at a time, each in `costMs` (a service's database pool, say). */
function pooledResource(parallel: number, costMs: number) {
  const lanes = Array.from({ length: parallel }, () => Promise.resolve());
  let next = 0;
  return () => {
    const lane = next++ % parallel;
    const done = lanes[lane]!.then(() => Bun.sleep(costMs));
    lanes[lane] = done;
    return done;
  };
}

/**
 * Sustained overload: work arrives at twice what the resource can do, for `ms`. Returns the
 * latency of each accepted item and of each refusal, and whether a refusal carried retryAfterMs.
 */
async function overload(limit: InFlightLimit, o: { parallel: number; costMs: number; ms: number }) {
  const work = pooledResource(o.parallel, o.costMs);
  const accepted: number[] = [];
  const refused: number[] = [];
  let typed = true;
  const jobs: Promise<void>[] = [];
  // Twice the capacity: 2 × parallel items every costMs.
  const end = performance.now() + o.ms;
  while (performance.now() < end) {
    const t0 = performance.now();
    for (let i = 0; i < 2 * o.parallel; i++)
      jobs.push(
        limit.run(work).then(
          () => void accepted.push(performance.now() - t0),
          (err) => {
            refused.push(performance.now() - t0);
            if (!(err instanceof AppError && err.code === "UNAVAILABLE" && typeof err.retryAfterMs === "number")) typed = false;
          },
        ),
      );
    await Bun.sleep(o.costMs);
  }
  await Promise.all(jobs);
  return { accepted, refused, typed };
}

test("overload at 2× capacity: accepted work keeps its latency near the budget; the rest is refused at once, typed", async () => {
  // A generous count bound (as SERVICE_MAX_INFLIGHT's default): the count alone lets a queue of seconds build.
  const countOnly = await overload(new InFlightLimit(1000, "the test service"), { parallel: 8, costMs: 10, ms: 3000 });
  const r = await overload(new InFlightLimit(1000, "the test service", { budgetMs: 50 }), { parallel: 8, costMs: 10, ms: 3000 });
  console.log(
    `overload 2x: count bound only p99 ${p99(countOnly.accepted).toFixed(0)} ms, ${countOnly.refused.length} refused; with the 50 ms budget p99 ${p99(r.accepted).toFixed(0)} ms, ${r.accepted.length} accepted, ${r.refused.length} refused (p99 ${p99(r.refused).toFixed(1)} ms)`,
  );
  expect(r.accepted.length).toBeGreaterThan(1000);
  expect(r.refused.length).toBeGreaterThan(500);
  expect(r.typed).toBe(true);
  // Budget 50 ms: the queue settles near it (~50-60 ms, p99 ~155 ms on a quiet box). Timer jitter of
  // a loaded machine stretches both runs alike, so the bound is relative to the count bound's queue
  // of seconds in the same run, plus an absolute ceiling well under it.
  expect(p99(r.accepted)).toBeLessThan(p99(countOnly.accepted) / 3);
  expect(p99(r.accepted)).toBeLessThan(500);
  expect(p99(r.refused)).toBeLessThan(50);
}, 30_000);

test("below capacity nothing is refused, bursts included", async () => {
  const limit = new InFlightLimit(1000, "the test service", { budgetMs: 50 });
  const work = pooledResource(1, 1);
  // 30 at once against a 1 ms resource: the last waits ~30 ms, within the budget and the floor.
  for (let round = 0; round < 5; round++) {
    const all = await Promise.allSettled(Array.from({ length: 30 }, () => limit.run(work)));
    expect(all.every((x) => x.status === "fulfilled")).toBe(true);
    await Bun.sleep(50);
  }
});

/**
 * A resource that writes what waits as one batch (chat's group commit): a batch takes `costMs`,
 * and `slowMs` while the disk is slow (from `slowAtMs` for `slowForMs`: commits waiting on fsync).
 * What arrives during a batch goes in the next one.
 */
function groupCommitResource(o: { costMs: number; slowMs: number; slowAtMs: number; slowForMs: number }) {
  const t0 = performance.now();
  let waiting: (() => void)[] = [];
  let busy = false;
  const flush = async () => {
    busy = true;
    while (waiting.length) {
      const batch = waiting;
      waiting = [];
      const at = performance.now() - t0;
      await Bun.sleep(at >= o.slowAtMs && at < o.slowAtMs + o.slowForMs ? o.slowMs : o.costMs);
      for (const done of batch) done();
    }
    busy = false;
  };
  return () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (!busy) void flush();
    });
}

test("a slow disk that the next batches clear refuses nothing at a rate the resource sustains", async () => {
  // 1,000/s in steps of 5 every 5 ms against batches of 2 ms; for 300 ms every commit takes 80 ms.
  const limit = new InFlightLimit(1000, "the test service", { budgetMs: 50 });
  const work = groupCommitResource({ costMs: 2, slowMs: 80, slowAtMs: 500, slowForMs: 300 });
  const jobs: Promise<boolean>[] = [];
  const end = performance.now() + 1500;
  while (performance.now() < end) {
    for (let i = 0; i < 5; i++)
      jobs.push(
        limit.run(work).then(
          () => true,
          () => false,
        ),
      );
    await Bun.sleep(5);
  }
  const done = await Promise.all(jobs);
  expect({ refused: done.filter((ok) => !ok).length, of: done.length }).toEqual({ refused: 0, of: done.length });
});

test("work that hangs is refused after a standing half second, not after the count bound fills", async () => {
  // 1,000/s against work that answers at once until it hangs (a lock, a dead connection) at 300 ms.
  const limit = new InFlightLimit(1000, "the test service", { budgetMs: 50 });
  const t0 = performance.now();
  let release = () => {};
  const hung = new Promise<void>((r) => (release = r));
  const work = () => (performance.now() - t0 < 300 ? Bun.sleep(1) : hung);
  const jobs: Promise<unknown>[] = [];
  let firstRefusal = Infinity;
  while (performance.now() - t0 < 1500) {
    for (let i = 0; i < 5; i++) jobs.push(limit.run(work).catch(() => (firstRefusal = Math.min(firstRefusal, performance.now() - t0))));
    await Bun.sleep(5);
  }
  const inFlight = limit.current;
  release();
  await Promise.all(jobs);
  // The count bound alone (1,000) would first refuse at ~1,300 ms, with 1,000 waiting on the hang.
  expect(firstRefusal).toBeLessThan(1000);
  expect(inFlight).toBeLessThan(800);
});
