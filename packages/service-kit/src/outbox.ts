import { and, inArray, isNull, lt, sql, type SQL } from "drizzle-orm";
import { subjects, type DeliveryEnvelope } from "@rt/contracts";
import type { Bus } from "@rt/bus";
import type { Database, Db, OutboxRowsTable, OutboxTable } from "@rt/db";
import type { Logger } from "./log.ts";
import { crashPoint } from "./crash-point.ts";
import { toEnvelope, type DeliverInput } from "./deliver.ts";

export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** What a change announces: a durable domain event (deduped by `id` as msgId) or a delivery to sockets. */
export type OutboxMessage = { kind: "event"; id: string; subject: string; payload: unknown } | { kind: "deliver"; id: string; subject: string; payload: DeliveryEnvelope };

/** A domain event, its id doubling as JetStream msgId. */
export const outboxEvent = (subject: string, evt: { id: string }): OutboxMessage => ({ kind: "event", id: evt.id, subject, payload: evt });
/** A contract delivery; its envelope id is what gateways dedupe by. */
export const outboxDelivery = (d: DeliverInput): OutboxMessage => {
  const env = toEnvelope(d);
  return { kind: "deliver", id: env.id, subject: subjects.deliver(env.tenantId, env.target.kind, env.target.id), payload: env };
};

export interface OutboxOptions {
  bus: Bus;
  db: Database;
  table: OutboxTable;
  log: Logger;
  /** Names the crash point for fault tests (`<name>`). */
  name: string;
  /** How often the relay looks for rows left unsent. */
  relayEveryMs?: number;
  /** Rows younger than this are the committing process's own to publish; the relay leaves them. */
  graceMs?: number;
  /** How often the relay vacuums the outbox tables. */
  vacuumEveryMs?: number;
  /** Sent rows are kept this long (for inspection), then pruned by the relay. */
  keepSentMs?: number;
  /** Rows the service writes and announces in SQL itself (chat's messages): their unsent keys, and what they announce. */
  rows?: OutboxRows;
}

export interface OutboxRows {
  table: OutboxRowsTable;
  /** What the rows with these keys announce, in key order; a key whose row is gone announces nothing. */
  load: (tx: Tx, ids: number[]) => Promise<OutboxMessage[]>;
}

/**
 * Transactional outbox: the messages a change announces are stored in its transaction, published
 * right after the commit and marked sent; a relay (at start-up and periodically) publishes the
 * rows a crash or an outage left unsent. Replicas' relays skip each other's locked rows. A
 * service that writes its announced rows in SQL itself keeps only their keys (`rows`): the relay
 * loads the rows to publish them.
 */
export class Outbox {
  private readonly timer: ReturnType<typeof setInterval>;
  private relaying: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private lastPrune = 0;
  // Not at start-up: there is little to vacuum then, and on PGlite it cost cold start ~0.4 s.
  private lastVacuum = Date.now();

  constructor(private readonly o: OutboxOptions) {
    this.timer = setInterval(() => void this.relay(), o.relayEveryMs ?? 2000);
    this.timer.unref?.();
    void this.relay();
  }

  /**
   * Run `fn` in a transaction; the messages it returns are stored in that transaction and
   * published after the commit. A failed publish is left to the relay, never to the caller.
   */
  async transaction<T>(fn: (tx: Tx) => Promise<{ result: T; messages: OutboxMessage[] }>): Promise<T> {
    const { result, messages } = await this.o.db.db.transaction(async (tx) => {
      const out = await fn(tx);
      await this.store(tx, out.messages);
      return out;
    });
    crashPoint(this.o.name);
    await this.send(messages);
    return result;
  }

  /** Store messages in the caller's own transaction; the caller calls `send` after its commit. */
  async store(tx: Tx, messages: OutboxMessage[]): Promise<void> {
    if (messages.length) await tx.insert(this.o.table).values(messages.map((m) => ({ id: m.id, kind: m.kind, subject: m.subject, payload: m.payload })));
  }

  /** Publish committed messages and mark them sent; failures stay unsent for the relay. */
  async send(messages: OutboxMessage[]): Promise<void> {
    if (!messages.length) return;
    const sent: string[] = [];
    for (const m of messages) {
      try {
        await this.publish(m);
        sent.push(m.id);
      } catch (err) {
        this.o.log.warn({ err, id: m.id, subject: m.subject }, "outbox publish failed; the relay will retry");
      }
    }
    await this.markSent(sent);
  }

  /** Mark rows published (by `send`, or by the service itself) sent, in one statement. */
  async markSent(ids: string[]): Promise<void> {
    if (!ids.length) return;
    const t = this.o.table;
    await this.o.db.db
      .update(t)
      .set({ sentAt: sql`now()` })
      .where(inArray(t.id, ids))
      .catch((err) => this.o.log.warn({ err }, "outbox could not mark rows sent; the relay may publish them again"));
  }

  /** Delete the keys of rows published by the service itself, in one statement. */
  async markRowsSent(ids: number[]): Promise<void> {
    const rows = this.o.rows;
    if (!ids.length || !rows) return;
    await this.o.db.db
      .delete(rows.table)
      .where(inArray(rows.table.id, ids))
      .catch((err) => this.o.log.warn({ err }, "outbox could not mark rows sent; the relay may publish them again"));
  }

  /** Publish what is left unsent (older than the grace), a batch at a time; resolves to the count. */
  relay(): Promise<number> {
    if (this.stopped) return Promise.resolve(0);
    const run = this.relaying.then(() => this.relayOnce()).catch((err) => (this.o.log.warn({ err }, "outbox relay failed"), 0));
    this.relaying = run;
    return run;
  }

  /**
   * Make sure the committed messages with these ids went out: a consumer that meets a duplicate
   * calls it, so a change stored by an attempt that died before publishing is still announced.
   */
  sendPending(ids: string[]): Promise<number> {
    return ids.length ? this.publishUnsent(inArray(this.o.table.id, ids)) : Promise.resolve(0);
  }

  /** Publish the unsent rows matching `where`, a batch at a time, and mark them sent. */
  private publishUnsent(where: SQL): Promise<number> {
    const t = this.o.table;
    // Rows stay locked while they are published: another replica's relay skips them.
    return this.o.db.db.transaction(async (tx) => {
      const rows = await tx
        .select()
        .from(t)
        .where(and(isNull(t.sentAt), where))
        .orderBy(t.seq)
        .limit(500)
        .for("update", { skipLocked: true });
      if (!rows.length) return 0;
      for (const r of rows) {
        // A replica from before outbox_rows (a rolling upgrade) still writes its rows here.
        if (r.kind === "row") for (const m of (await this.o.rows?.load(tx, [(r.payload as { id: number }).id])) ?? []) await this.publish(m);
        else await this.publish({ kind: r.kind, id: r.id, subject: r.subject, payload: r.payload } as OutboxMessage);
      }
      await tx
        .update(t)
        .set({ sentAt: sql`now()` })
        .where(
          inArray(
            t.seq,
            rows.map((r) => r.seq),
          ),
        );
      return rows.length;
    });
  }

  /** Publish the rows whose keys are left (`where`: older than the grace), a batch at a time, and delete the keys. */
  private publishUnsentRows(where: (createdAt: OutboxRowsTable["createdAt"]) => SQL): Promise<number> {
    const rows = this.o.rows;
    if (!rows) return Promise.resolve(0);
    const t = rows.table;
    return this.o.db.db.transaction(async (tx) => {
      const keys = await tx.select({ id: t.id }).from(t).where(where(t.createdAt)).orderBy(t.id).limit(500).for("update", { skipLocked: true });
      if (!keys.length) return 0;
      const ids = keys.map((k) => k.id);
      for (const m of await rows.load(tx, ids)) await this.publish(m);
      await tx.delete(t).where(inArray(t.id, ids));
      return ids.length;
    });
  }

  private async relayOnce(): Promise<number> {
    const t = this.o.table;
    const graceS = (this.o.graceMs ?? 2000) / 1000;
    const pastGrace = (createdAt: OutboxTable["createdAt"] | OutboxRowsTable["createdAt"]) => lt(createdAt, sql`now() - make_interval(secs => ${graceS})`);
    const n = (await this.publishUnsent(pastGrace(t.createdAt))) + (await this.publishUnsentRows(pastGrace));
    if (n) this.o.log.warn({ count: n }, "outbox relay published messages left unsent");
    await this.vacuum();
    if (Date.now() - this.lastPrune < 60_000) return n;
    this.lastPrune = Date.now();
    const keepS = (this.o.keepSentMs ?? 3_600_000) / 1000;
    await this.o.db.db.delete(t).where(lt(t.sentAt, sql`now() - make_interval(secs => ${keepS})`));
    return n;
  }

  private async publish(m: OutboxMessage): Promise<void> {
    if (m.kind === "event") await this.o.bus.publishEvent(m.subject, m.payload, { msgId: m.id });
    // Deliveries go to the log with the bus's own acknowledgement and retries (see bus-nats).
    else this.o.bus.publish(m.subject, m.payload);
  }

  /**
   * Published entries leave dead tuples at the message rate. Vacuumed every few seconds, the outbox
   * tables stay a few pages long, so the statements that read them on every send stay cheap
   * whatever autovacuum does: with it off (this machine), every statement read ~66,000 dead
   * entries after a few minutes of load. A vacuum another replica runs is skipped, not waited for.
   */
  private async vacuum(): Promise<void> {
    if (Date.now() - this.lastVacuum < (this.o.vacuumEveryMs ?? 10_000)) return;
    this.lastVacuum = Date.now();
    for (const t of this.o.rows ? [this.o.table, this.o.rows.table] : [this.o.table]) await this.o.db.db.execute(sql`vacuum (skip_locked) ${t}`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.relaying;
  }
}
