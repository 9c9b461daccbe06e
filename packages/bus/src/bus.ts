/** The one messaging interface every app uses; `bus-memory.ts` and `bus-nats.ts` implement it. */

export interface Subscription {
  unsubscribe(): void;
}

export type MsgHandler = (data: unknown, subject: string) => void | Promise<void>;
export type ReplyHandler = (data: unknown, subject: string) => unknown;

export interface RequestOptions {
  /** Milliseconds before the request fails with BusError TIMEOUT (default 5000). */
  timeoutMs?: number;
}

/**
 * How durable events are retried. A failed event is redelivered after `backoffMs[n]` (the last
 * value repeats) for as long as the stream keeps it; once its age plus the next wait would come
 * within `deadLetterMarginMs` of `maxAgeMs` (the stream's retention), it is moved to the
 * dead-letter subject and counted, never dropped silently.
 */
export interface EventRetry {
  /** Retention of the event stream (JetStream max_age). */
  maxAgeMs: number;
  backoffMs: readonly number[];
  deadLetterMarginMs: number;
}

export const DEFAULT_EVENT_RETRY: EventRetry = {
  maxAgeMs: 7 * 24 * 3600_000,
  backoffMs: [1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 300_000],
  deadLetterMarginMs: 3600_000,
};

/** The wait before redelivery `deliveries + 1`, or null when the event must go to the dead letters. */
export function nextRetry(retry: EventRetry, deliveries: number, ageMs: number): number | null {
  const wait = retry.backoffMs[Math.min(deliveries - 1, retry.backoffMs.length - 1)] ?? 1000;
  return ageMs + wait >= retry.maxAgeMs - retry.deadLetterMarginMs ? null : wait;
}

/**
 * The JetStream streams a bus keeps, handed to it by its caller (the platform's are declared in
 * @rt/contracts as `busStreams`): the bus knows no subject of its own.
 */
export interface BusStreams {
  /** Durable events (publishEvent, consumeEvents). */
  events: { name: string; subjects: readonly string[] };
  /** Where an event its consumer failed on until its retention nearly ran out is moved (a DeadLetterRecord). */
  deadLetters: { name: string; subjects: readonly string[]; maxAgeMs: number; subject(durable: string, eventSubject: string): string };
  /** The delivery log: everything published on its subjects is kept in order for `maxAgeMs` (tailLog, readLog). */
  log: { name: string; subjects: readonly string[]; maxAgeMs: number };
}

/** What the bus writes to `deadLetters` (the `DeadLetter` schema of @rt/contracts reads it). */
export interface DeadLetterRecord {
  subject: string;
  durable: string;
  data: unknown;
  deliveries: number;
  publishedAt: number;
  error: string;
}

export interface ConsumeOptions {
  /** Durable consumer name: replicas sharing it share the work. */
  durable: string;
  /** Subjects (may use wildcards) to receive from the event stream. */
  subjects: string[];
}

/** One message of the delivery log, with its position (the same on every process). */
export interface LogEntry {
  seq: number;
  subject: string;
  data: unknown;
  /** Size of the stored message (its JSON), for bounds on what a reader holds. */
  bytes: number;
}

/** One live entry of a key/value store; `revision` changes on every write. */
export interface KvEntry {
  key: string;
  value: unknown;
  revision: number;
}

/** A small key/value store whose entries expire the store's ttl after their last write. */
export interface KvStore {
  get(key: string): Promise<unknown | null>;
  put(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Every live entry, or with `prefix` only those whose key starts with `<prefix>.` (a sweep reads
   * its own part of a store, not the whole store).
   */
  entries(prefix?: string): Promise<KvEntry[]>;
  /** Delete the key only if it was not written since `revision`; false when it was (or is gone). */
  deleteIf(key: string, revision: number): Promise<boolean>;
  /** The live entry with its revision, for a later putIf; null when absent. */
  entry(key: string): Promise<KvEntry | null>;
  /**
   * Compare-and-set: write only if the key is still at `revision` (0: only if absent). False when
   * another writer came first; the caller re-reads and retries.
   */
  putIf(key: string, value: unknown, revision: number): Promise<boolean>;
}

export interface Bus {
  readonly kind: "memory" | "nats";
  /** Fire-and-forget, to every subscriber (one per queue group). */
  publish(subject: string, data: unknown): void;
  subscribe(subject: string, handler: MsgHandler, opts?: { queue?: string }): Subscription;
  /** Request/reply: resolves with the reply, rejects with BusError NO_RESPONDERS / TIMEOUT / CLOSED. */
  request(subject: string, data: unknown, opts?: RequestOptions): Promise<unknown>;
  /** Answer requests on a subject; one member of `queue` answers each. A throwing handler answers INTERNAL. */
  respond(subject: string, handler: ReplyHandler, opts: { queue: string }): Subscription;
  /** Durable, at-least-once event; the same msgId twice is stored once. */
  publishEvent(subject: string, data: unknown, opts: { msgId: string }): Promise<void>;
  /**
   * Consume durable events; the handler's rejection redelivers the event later with backoff, and
   * before the stream's retention would delete it, moves it to `subjects.deadLetter` (EventRetry).
   */
  consumeEvents(opts: ConsumeOptions, handler: MsgHandler): Promise<Subscription>;
  /**
   * Next value of a cluster-wide counter (1, 2, 3…). Keys are [A-Za-z0-9_-]. Backed by a NATS KV
   * bucket with compare-and-set, so every process sees one sequence.
   */
  nextSeq(key: string): Promise<number>;
  /**
   * Follow the delivery log's entries on subjects matching `filter` (a message published on the
   * log's subjects is kept in order for a while) from now on. Handlers see entries in log order,
   * each at its position in the whole log; `startSeq` is the last entry of the log before: every
   * later entry matching `filter` reaches the handler.
   */
  tailLog(filter: string, handler: (e: LogEntry) => void): Promise<Subscription & { startSeq: number }>;
  /**
   * Log entries on subjects matching `filter` with afterSeq < seq <= untilSeq, in order; null when
   * the log no longer holds everything after afterSeq (too old to replay).
   */
  readLog(filter: string, afterSeq: number, untilSeq: number): Promise<LogEntry[] | null>;
  /** A named key/value store shared by every process on this bus. */
  kv(name: string, opts: { ttlMs: number }): Promise<KvStore>;
  /** True while the connection is up (always for memory). */
  isConnected(): boolean;
  /** Wait until everything published so far has reached the server. */
  flush(): Promise<void>;
  /** Stop taking new messages, let handlers in flight finish, then close. */
  drain(): Promise<void>;
}

/** Reply sent for a request whose handler threw: the caller sees INTERNAL, never the error itself. */
export const INTERNAL_REPLY = { ok: false, error: { code: "INTERNAL", message: "internal error" } } as const;

/** Called with errors a handler threw, so the app can log them (the bus itself never logs). */
export type BusErrorSink = (err: unknown, subject: string) => void;
