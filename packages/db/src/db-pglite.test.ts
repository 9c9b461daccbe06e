import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { sql } from "drizzle-orm";
import { createPglite } from "./db-pglite.ts";
import { executedRows } from "./db.ts";
import { blankDataDir } from "./pglite-blank.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("a fresh folder starts from the blank cluster and keeps what was written across restarts", async () => {
  const dir = join(mkdtempSync(join(tmpdir(), "rt-pglite-")), "data");
  dirs.push(dirname(dir));
  const first = await createPglite(dir);
  await first.db.execute(sql`create table kept (v int)`);
  await first.db.execute(sql`insert into kept values (42)`);
  await first.close();
  expect(existsSync(join(dir, "PG_VERSION"))).toBe(true);
  const again = await createPglite(dir);
  const rows = (await again.db.execute(sql`select v from kept`)) as unknown as { rows: { v: number }[] };
  expect(rows.rows).toEqual([{ v: 42 }]);
  await again.close();
});

test("in-memory databases are independent copies of one blank cluster", async () => {
  const a = await createPglite("memory");
  const b = await createPglite("memory");
  await a.db.execute(sql`create table only_a (v int)`);
  const inB = (await b.db.execute(sql`select count(*)::int as n from pg_tables where tablename = 'only_a'`)) as unknown as { rows: { n: number }[] };
  expect(inB.rows[0]!.n).toBe(0);
  expect((await blankDataDir()).size).toBeGreaterThan(1_000_000);
  await a.close();
  await b.close();
});

test("through the database thread, Drizzle's parsers still keep dates, timestamps and intervals of a raw query as text", async () => {
  const db = await createPglite("memory");
  const r = await db.db.execute(
    sql`select timestamp '2026-12-03 10:00:00.123' as at, date '2026-12-03' as day, interval '1 day 2 hours' as span, array[timestamp '2026-12-03 10:00:00'] as ats`,
  );
  expect(executedRows(r)).toEqual([{ at: "2026-12-03 10:00:00.123", day: "2026-12-03", span: "1 day 02:00:00", ats: '{"2026-12-03 10:00:00"}' }]);
  await db.close();
});

test("new WAL segments are not zero-filled (in memory that froze the database for ~0.5 s per 16 MB of WAL; bench/README.md)", async () => {
  for (const dir of ["memory", join(mkdtempSync(join(tmpdir(), "rt-pglite-")), "data")]) {
    if (dir !== "memory") dirs.push(dirname(dir));
    const db = await createPglite(dir);
    expect(executedRows(await db.db.execute(sql`show wal_init_zero`))).toEqual([{ wal_init_zero: "off" }]);
    await db.close();
  }
});
