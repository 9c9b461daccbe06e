import type { Db } from "./db.ts";

export type QueryKind = "query" | "transaction";

type Session = {
  prepareQuery(...args: unknown[]): { execute(...args: unknown[]): Promise<unknown> };
  transaction(...args: unknown[]): Promise<unknown>;
};

/**
 * Report the duration of every statement run outside a transaction, and of every whole
 * transaction, without touching any query: this instance's Drizzle session has its prepareQuery
 * and transaction wrapped (statements inside a transaction count in the transaction's time).
 */
export function observeQueries(db: Db, observe: (kind: QueryKind, seconds: number) => void): void {
  const session = db._.session as unknown as Session;
  const timed = async <T>(kind: QueryKind, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await run();
    } finally {
      observe(kind, (performance.now() - started) / 1000);
    }
  };
  const prepare = session.prepareQuery.bind(session);
  session.prepareQuery = (...args) => {
    const q = prepare(...args);
    const execute = q.execute.bind(q);
    q.execute = (...a) => timed("query", () => execute(...a));
    return q;
  };
  const transaction = session.transaction.bind(session);
  session.transaction = (...args) => timed("transaction", () => transaction(...args));
}
