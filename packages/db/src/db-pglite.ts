import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { MIGRATIONS_SCHEMA, type Database, type Db } from "./db.ts";

/** Embedded Postgres (WASM) for the one-process developer mode; one instance serves every service. */
export async function createPglite(dir: string, opts: { from?: Blob } = {}): Promise<Database> {
  if (dir !== "memory") mkdirSync(dir, { recursive: true });
  const client = dir === "memory" ? new PGlite({ loadDataDir: opts.from }) : new PGlite(dir);
  await client.waitReady;
  const db = drizzle(client) as unknown as Db;
  // PGlite is one connection: run migrations one after another.
  let chain: Promise<void> = Promise.resolve();
  return {
    kind: "pglite",
    db,
    async ping() {
      try {
        await client.query("select 1");
        return true;
      } catch {
        return false;
      }
    },
    migrate({ folder, table }) {
      const run = chain.then(() => migrate(drizzle(client), { migrationsFolder: folder, migrationsTable: table, migrationsSchema: MIGRATIONS_SCHEMA }));
      chain = run.catch(() => {});
      return run;
    },
    async close() {
      if (!client.closed) await client.close();
    },
  };
}

let blank: Promise<Blob> | undefined;

/**
 * An in-memory PGlite started from a blank data directory made once per process: a fresh one runs
 * initdb (seconds on a loaded box), a copy only unpacks it. For tests, which start many.
 */
export async function createPgliteCopy(): Promise<Database> {
  blank ??= (async () => {
    const client = new PGlite();
    await client.waitReady;
    const dump = await client.dumpDataDir("none");
    await client.close();
    return dump;
  })();
  return createPglite("memory", { from: await blank });
}
