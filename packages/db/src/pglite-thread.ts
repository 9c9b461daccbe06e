/**
 * The embedded database's own thread: PGlite runs its WASM here, so a query no longer holds the
 * event loop that serves the sockets (it was most of the all-in-one process's CPU at 600 sends/s).
 * Speaks the messages of `pglite-remote.ts`.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { parentPort } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import { blankDataDir } from "./pglite-blank.ts";
import type { RemoteReply, RemoteRequest } from "./pglite-remote.ts";

const keep = (value: string) => value;
/** The parsers of each set of types kept as text (Drizzle sends one set), made once. */
const textParsers = new Map<string, Record<number, typeof keep>>();
function keepAsText(types: number[]): Record<number, typeof keep> {
  const key = types.join(",");
  let parsers = textParsers.get(key);
  if (!parsers) textParsers.set(key, (parsers = Object.fromEntries(types.map((t) => [t, keep]))));
  return parsers;
}

let client: PGlite | undefined;

async function open(dir: string): Promise<void> {
  const fresh = dir === "memory" || !existsSync(join(dir, "PG_VERSION"));
  const from = fresh ? await blankDataDir() : undefined;
  if (dir !== "memory") mkdirSync(dir, { recursive: true });
  client = dir === "memory" ? new PGlite({ loadDataDir: from }) : new PGlite(dir, { loadDataDir: from });
  await client.waitReady;
  // PGlite is one session, so this holds for the whole database. Postgres zero-fills each new 16 MB
  // WAL segment; in PGlite's in-memory file system that froze the database for ~0.5 s about every
  // 10 s at 1,000 sends/s (bench/README.md). Off, a new segment is sized by its last byte: the
  // setting only pre-allocates disk space, it does not make commits less durable.
  await client.exec("set wal_init_zero = off");
}

async function answer(m: RemoteRequest): Promise<unknown> {
  if (m.op === "open") return open(m.dir);
  if (!client || client.closed) throw new Error("the embedded database is not open");
  if (m.op === "exec") return (await client.exec(m.sql)).map(({ rows, affectedRows, fields }) => ({ rows, affectedRows, fields }));
  if (m.op === "close") return client.closed ? undefined : client.close();
  const { rows, affectedRows, fields } = await client.query(m.sql, m.params, { rowMode: m.rowMode, parsers: m.textTypes && keepAsText(m.textTypes) });
  return { rows, affectedRows, fields };
}

/**
 * A Postgres error keeps its plain fields (code, constraint, detail…): callers branch on them.
 * Others (PGlite's query options hold functions) cannot cross threads.
 */
function plain(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const fields = Object.entries(err).filter(([, v]) => v === null || ["string", "number", "boolean"].includes(typeof v));
  return { ...Object.fromEntries(fields), name: err.name, message: err.message };
}

// One at a time, in arrival order: a transaction's begin, statements and commit reach PGlite in the
// order they were sent, whatever the internal queueing of its query and exec.
let queue: Promise<void> = Promise.resolve();
const port = parentPort;
if (!port) throw new Error("pglite-thread.ts runs as a worker of pglite-remote.ts");
port.on("message", (m: RemoteRequest) => {
  queue = queue
    .then(() => answer(m))
    .then(
      (result) => port.postMessage({ id: m.id, result } satisfies RemoteReply),
      (err) => port.postMessage({ id: m.id, error: plain(err) } satisfies RemoteReply),
    )
    // A reply that cannot be sent still answers, and the queue goes on.
    .catch((err) => port.postMessage({ id: m.id, error: plain(err) } satisfies RemoteReply));
});
