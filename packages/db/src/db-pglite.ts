import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { MIGRATIONS_SCHEMA, type Database, type Db } from "./db.ts";

/**
 * Embedded Postgres (WASM) for the one-process developer mode; one instance serves every service.
 * A new database (`memory`, or a folder without one) starts from the blank cluster of
 * `blankDataDir` instead of running initdb (4 s of the 5.6 s cold start on this machine).
 */
export async function createPglite(dir: string): Promise<Database> {
  const fresh = dir === "memory" || !existsSync(join(dir, "PG_VERSION"));
  const from = fresh ? await blankDataDir() : undefined;
  if (dir !== "memory") mkdirSync(dir, { recursive: true });
  const client = dir === "memory" ? new PGlite({ loadDataDir: from }) : new PGlite(dir, { loadDataDir: from });
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

/** Where the blank cluster is kept between runs: per PGlite version, beside the installed packages. */
function blankCachePath(): string {
  const main = Bun.resolveSync("@electric-sql/pglite", import.meta.dir); // …/pglite/dist/index.js
  const { version } = JSON.parse(readFileSync(join(dirname(main), "../package.json"), "utf8")) as { version: string };
  return resolve(import.meta.dir, "../../../node_modules/.cache/rt-pglite", `blank-${version}.tar`);
}

/**
 * A blank PGlite cluster (what initdb makes), as a data-directory tarball: made once per process,
 * kept on disk for the next ones (written to a temporary name, then renamed, so a concurrent start
 * never reads half a file). A cache that cannot be read or written only costs the initdb.
 */
export function blankDataDir(): Promise<Blob> {
  blank ??= (async () => {
    const path = blankCachePath();
    try {
      const cached = Bun.file(path);
      if (await cached.exists()) return new Blob([await cached.arrayBuffer()]);
    } catch {}
    const client = new PGlite();
    await client.waitReady;
    const dump = await client.dumpDataDir("none");
    await client.close();
    try {
      mkdirSync(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, new Uint8Array(await dump.arrayBuffer()));
      renameSync(tmp, path);
    } catch {}
    return dump;
  })();
  return blank;
}
