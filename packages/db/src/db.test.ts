import { expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createPglite } from "./db-pglite.ts";
import { createPostgres } from "./db-postgres.ts";
import { preparedOnce, type Database } from "./db.ts";

const POSTGRES_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

test("preparedOnce builds a statement once per database and runs each database's own (PGlite and Postgres)", async () => {
  const a = await createPglite("memory");
  const b = createPostgres(POSTGRES_URL, { max: 1 });
  let builds = 0;
  const nextOf = preparedOnce((db) => {
    builds++;
    return db
      .select({ next: sql<number>`${sql.placeholder("n")}::int + 1`.as("next") })
      .from(sql`(select 1) as one`)
      .prepare("db_test_next");
  });
  const run = async (d: Database, n: number) => (await nextOf(d).execute({ n }))[0]!.next;
  try {
    expect(await run(a, 1)).toBe(2);
    expect(await run(a, 41)).toBe(42);
    expect(await run(b, 9)).toBe(10);
    expect(await run(b, 99)).toBe(100);
    expect(builds).toBe(2);
    expect(nextOf(a)).not.toBe(nextOf(b));
  } finally {
    await a.close();
    await b.close();
  }
});
