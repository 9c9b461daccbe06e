import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";

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
