/**
 * The main thread's side of the embedded database (`pglite-thread.ts` runs PGlite): the part of
 * PGlite's client that Drizzle calls — `query`, `exec`, `transaction` — as messages to that thread.
 */
import { Worker } from "node:worker_threads";
import type { Results, RowMode } from "@electric-sql/pglite";

type RemoteCall =
  | { op: "open"; dir: string }
  | { op: "query"; sql: string; params?: unknown[]; rowMode?: RowMode; textTypes?: number[] }
  | { op: "exec"; sql: string }
  | { op: "close" };
export type RemoteRequest = RemoteCall & { id: number };
export type RemoteReply = { id: number; result?: unknown; error?: Record<string, unknown> };

interface QueryConfig {
  rowMode?: RowMode;
  /**
   * Drizzle's parsers keep values of these types as text (`value => value`: it maps dates and
   * intervals itself). Functions cannot cross threads: the thread is told the type ids.
   */
  parsers?: Record<number, unknown>;
}

/** What a transaction's callback gets: the same calls, run inside it. */
export interface RemoteTransaction {
  query<T>(sql: string, params?: unknown[], config?: QueryConfig): Promise<Results<T>>;
  exec(sql: string): Promise<Results[]>;
  rollback(): Promise<void>;
  readonly closed: boolean;
}

export class PgliteRemote {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  #next = 0;
  #closed = false;
  /**
   * PGlite is one session: while a transaction is open or waiting, other statements wait for it
   * (PGlite's own `transaction` does the same), or they would run inside someone else's.
   * Without one they are sent at once: the thread runs them in the order they arrive.
   */
  #transactions: Promise<void> = Promise.resolve();
  #inTransaction = 0;

  private constructor() {
    this.#worker = new Worker(new URL("./pglite-thread.ts", import.meta.url));
    this.#worker.on("message", (reply: RemoteReply) => {
      const call = this.#pending.get(reply.id);
      if (!call) return;
      this.#pending.delete(reply.id);
      // Only a pending call keeps the process alive, as PGlite in the main thread did.
      if (this.#pending.size === 0) this.#worker.unref();
      if (reply.error) call.reject(Object.assign(new Error(String(reply.error.message)), reply.error));
      else call.resolve(reply.result);
    });
    // A thread that dies answers nothing more: fail what waits rather than hang it.
    this.#worker.on("error", (e: Error) => this.#failPending(`the embedded database stopped: ${e.message}`));
    this.#worker.unref();
  }

  static async open(dir: string): Promise<PgliteRemote> {
    const remote = new PgliteRemote();
    try {
      await remote.#send({ op: "open", dir });
    } catch (err) {
      await remote.#worker.terminate();
      throw err;
    }
    return remote;
  }

  #failPending(message: string): void {
    for (const call of this.#pending.values()) call.reject(new Error(message));
    this.#pending.clear();
    this.#worker.unref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #send<T>(m: RemoteCall): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("the embedded database is closed"));
    const id = ++this.#next;
    if (this.#pending.size === 0) this.#worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.postMessage({ ...m, id });
    });
  }

  #query<T>(sql: string, params?: unknown[], config?: QueryConfig): Promise<Results<T>> {
    const textTypes = config?.parsers && Object.keys(config.parsers).map(Number);
    return this.#send({ op: "query", sql, params, rowMode: config?.rowMode, textTypes });
  }

  #exec(sql: string): Promise<Results[]> {
    return this.#send({ op: "exec", sql });
  }

  /** Runs `fn` now, or after the transactions already open or waiting. */
  #afterTransactions<T>(fn: () => Promise<T>): Promise<T> {
    return this.#inTransaction === 0 ? fn() : this.#transactions.then(fn);
  }

  query<T>(sql: string, params?: unknown[], config?: QueryConfig): Promise<Results<T>> {
    return this.#afterTransactions(() => this.#query<T>(sql, params, config));
  }

  exec(sql: string): Promise<Results[]> {
    return this.#afterTransactions(() => this.#exec(sql));
  }

  transaction<T>(fn: (tx: RemoteTransaction) => Promise<T>): Promise<T> {
    this.#inTransaction++;
    const run = this.#transactions.then(async () => {
      let done = false;
      const tx: RemoteTransaction = {
        query: (sql, params, config) => this.#query(sql, params, config),
        exec: (sql) => this.#exec(sql),
        rollback: async () => {
          await this.#exec("rollback");
          done = true;
        },
        get closed() {
          return done;
        },
      };
      await this.#exec("begin");
      try {
        const result = await fn(tx);
        if (!done) await this.#exec("commit");
        done = true;
        return result;
      } catch (err) {
        if (!done) await this.#exec("rollback").catch(() => {});
        done = true;
        throw err;
      }
    });
    this.#transactions = run.then(
      () => void this.#inTransaction--,
      () => void this.#inTransaction--,
    );
    return run;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#afterTransactions(() => this.#send({ op: "close" }));
    this.#closed = true;
    await this.#worker.terminate();
    this.#failPending("the embedded database is closed");
  }
}
