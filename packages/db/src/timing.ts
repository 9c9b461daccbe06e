import { SpanKind, inChildSpan, tracingOn } from "@rt/tracing";
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
 * With tracing on, each of them run inside a trace is also a span (its SQL text, never its parameters).
 */
export function observeQueries(db: Db, observe: (kind: QueryKind, seconds: number) => void): void {
  const session = db._.session as unknown as Session;
  const timed = async <T>(kind: QueryKind, run: () => Promise<T>, text?: string): Promise<T> => {
    const started = performance.now();
    try {
      if (!tracingOn()) return await run();
      return await inChildSpan(`db.${kind}`, SpanKind.CLIENT, { "db.system.name": "postgresql", ...(text ? { "db.query.text": text } : {}) }, run);
    } finally {
      observe(kind, (performance.now() - started) / 1000);
    }
  };
  const prepare = session.prepareQuery.bind(session);
  session.prepareQuery = (...args) => {
    const q = prepare(...args);
    const execute = q.execute.bind(q);
    const text = (args[0] as { sql?: string } | undefined)?.sql;
    q.execute = (...a) => timed("query", () => execute(...a), text);
    return q;
  };
  const transaction = session.transaction.bind(session);
  session.transaction = (...args) => timed("transaction", () => transaction(...args));
}
