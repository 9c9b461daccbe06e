import { expect, test } from "bun:test";
import { resolve } from "node:path";
import { PgliteRemote } from "./pglite-remote.ts";

test("a Postgres error keeps its code across the thread, and the next statements still run", async () => {
  const db = await PgliteRemote.open("memory");
  await db.query("create table t (v text primary key)");
  await db.query("insert into t values ($1)", ["a"]);
  // PGlite's error holds the query's options (functions): it cannot be sent as it is.
  const dup = await db.query("insert into t values ($1)", ["a"], { parsers: {} }).catch((e: unknown) => e);
  expect(dup).toMatchObject({ code: "23505", constraint: "t_pkey" });
  const nul = await db.query("insert into t values ($1)", ["bad \u0000 byte"]).catch((e: unknown) => e);
  expect(nul).toMatchObject({ code: "22021" });
  expect((await db.query<{ n: number }>("select count(*)::int as n from t")).rows).toEqual([{ n: 1 }]);
  await db.close();
});

test("a transaction holds the session: others wait for its end; a throw rolls it back", async () => {
  const db = await PgliteRemote.open("memory");
  await db.query("create table t (v int)");
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const tx = db.transaction(async (t) => {
    await t.query("insert into t values (1)");
    await held;
    await t.query("insert into t values (2)");
  });
  await Bun.sleep(20);
  // Outside the transaction: must not see (or join) its uncommitted rows.
  const outside = db.query<{ n: number }>("select count(*)::int as n from t");
  let answered = false;
  outside.then(() => (answered = true));
  await Bun.sleep(50);
  expect(answered).toBe(false);
  release();
  await tx;
  expect((await outside).rows).toEqual([{ n: 2 }]);

  const failed = await db
    .transaction(async (t) => {
      await t.query("insert into t values (3)");
      throw new Error("changed my mind");
    })
    .catch((e: Error) => e.message);
  expect(failed).toBe("changed my mind");
  expect((await db.query<{ n: number }>("select count(*)::int as n from t")).rows).toEqual([{ n: 2 }]);
  await db.close();
  expect(await db.query("select 1").catch((e: Error) => e.message)).toBe("the embedded database is closed");
});

test("an open database does not keep the process alive once nothing is pending", async () => {
  const script = `import { PgliteRemote } from ${JSON.stringify(resolve(import.meta.dir, "pglite-remote.ts"))};
const db = await PgliteRemote.open("memory");
console.log((await db.query("select 41 + 1 as n")).rows[0].n);`;
  const proc = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "inherit" });
  const exited = await Promise.race([proc.exited, Bun.sleep(20_000).then(() => "still running")]);
  if (exited === "still running") proc.kill();
  expect(exited).toBe(0);
  expect((await new Response(proc.stdout).text()).trim()).toBe("42");
});

test("a statement sent while the database closes fails at once instead of hanging", async () => {
  const db = await PgliteRemote.open("memory");
  const closing = db.close();
  const late = db.query("select 1").then(
    () => "answered",
    (e: Error) => e.message,
  );
  await closing;
  expect(await late).toMatch(/^the embedded database is (closed|not open)$/);
});

test("a data folder that cannot be made fails the open with the reason", async () => {
  const err = await PgliteRemote.open("/proc/no-such/pglite").catch((e: { code?: string }) => e);
  expect(err).toMatchObject({ code: "ENOENT" });
});
