import type { Bus, BusErrorSink, BusStreams, DeadLetterRecord, EventRetry, KvEntry, KvStore, LogEntry, MsgHandler, ReplyHandler, RequestOptions, Subscription } from "./bus.ts";
import { DEFAULT_EVENT_RETRY, INTERNAL_REPLY, nextRetry } from "./bus.ts";
import { busMetrics } from "./metrics.ts";
import { BusError } from "./errors.ts";
import { subjectMatches } from "./match.ts";
import { traceHeaders, withRemoteParent } from "@rt/tracing/spans";

interface Sub {
  pattern: string;
  queue?: string;
  responder?: true;
  /** `trace`: the requester's W3C headers, as a NATS request carries them. */
  handler: (data: unknown, subject: string, replyTo?: (v: unknown) => void, trace?: Record<string, string>) => void;
}

/** Subjects whose matching subscriptions are remembered at once (a bound, not a tuning knob). */
const MATCH_CACHE_MAX = 10_000;

/** Memory bound of the in-process delivery log, whatever its age. */
const MAX_LOG_ENTRIES = 200_000;

export interface MemoryNetworkOptions {
  /** As on NATS: which subjects the delivery log keeps, for how long, and where dead letters go. */
  streams: Pick<BusStreams, "log" | "deadLetters">;
  /** Retention and retry of durable events, as on NATS (tests shorten it). */
  events?: EventRetry;
}

interface Tail {
  filter: string;
  handler: (e: LogEntry) => void;
}

/**
 * The log's followers by filter: a `prefix.>` filter (one per tenant a gateway follows) is found
 * by the subject's prefixes, one map lookup per token, not a match per follower; any other
 * filter is matched one by one.
 */
class LogTails {
  private byPrefix = new Map<string, Set<Tail>>();
  private other = new Set<Tail>();
  private where = (t: Tail) => (t.filter.endsWith(".>") && !t.filter.includes("*") ? t.filter.slice(0, -1) : null);

  add(t: Tail) {
    const prefix = this.where(t);
    if (prefix === null) return void this.other.add(t);
    let set = this.byPrefix.get(prefix);
    if (!set) this.byPrefix.set(prefix, (set = new Set()));
    set.add(t);
  }

  delete(t: Tail) {
    const prefix = this.where(t);
    if (prefix === null) return void this.other.delete(t);
    const set = this.byPrefix.get(prefix);
    set?.delete(t);
    if (set?.size === 0) this.byPrefix.delete(prefix);
  }

  /** The handlers of every follower whose filter matches `subject`. */
  matching(subject: string): Array<(e: LogEntry) => void> {
    const out: Array<(e: LogEntry) => void> = [];
    if (this.byPrefix.size > 0) {
      // `a.>` and `a.b.>` both match `a.b.c`: every proper prefix ending at a dot.
      for (let i = subject.indexOf("."); i !== -1; i = subject.indexOf(".", i + 1)) {
        const set = this.byPrefix.get(subject.slice(0, i + 1));
        if (set) for (const t of set) out.push(t.handler);
      }
    }
    for (const t of this.other) if (subjectMatches(t.filter, subject)) out.push(t.handler);
    return out;
  }
}

interface MemoryKv {
  map: Map<string, { v: string; exp: number; rev: number }>;
  ttlMs: number;
  nextPrune: number;
}

const clone = (v: unknown) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

/**
 * An in-process stand-in for a NATS server: connections made from one network share subjects,
 * queue groups, the event stream, the delivery log, counters and KV, while each connection
 * drains on its own — as processes on one NATS would.
 */
export function createMemoryNetwork(netOpts: MemoryNetworkOptions) {
  const logCfg = netOpts.streams.log;
  const retry = netOpts.events ?? DEFAULT_EVENT_RETRY;
  let subs: Sub[] = [];
  const rr = new Map<string, number>();
  const seenEventIds = new Set<string>();
  type Consumer = { subjects: string[]; handlers: Array<{ h: MsgHandler; run: (p: Promise<void>) => void; report: BusErrorSink }>; next: number };
  const consumers = new Map<string, Consumer>();
  const counters = new Map<string, number>();
  const kvs = new Map<string, MemoryKv>();
  let kvRevision = 0;
  // The delivery log: entries in publish order, pruned by age and count.
  const log: Array<LogEntry & { at: number }> = [];
  const tails = new LogTails();
  let logSeq = 0;
  let firstKept = 1;
  // Most publishes go to a few subjects: what matches one is remembered (bounded) until the
  // subscriptions change, instead of a pattern match per subscription per publish.
  const isLogged = new Map<string, boolean>();
  const matches = new Map<string, Sub[]>();
  const remember = <T>(m: Map<string, T>, subject: string, v: T) => {
    if (m.size >= MATCH_CACHE_MAX) m.clear();
    m.set(subject, v);
    return v;
  };
  const logged = (subject: string) =>
    isLogged.get(subject) ??
    remember(
      isLogged,
      subject,
      logCfg.subjects.some((p) => subjectMatches(p, subject)),
    );

  function append(subject: string, payload: string) {
    const now = Date.now();
    log.push({ seq: ++logSeq, subject, data: JSON.parse(payload), bytes: payload.length, at: now });
    let drop = 0;
    while (drop < log.length && (log[drop]!.at < now - logCfg.maxAgeMs || log.length - drop > MAX_LOG_ENTRIES)) drop++;
    if (drop) {
      log.splice(0, drop);
      firstKept = log[0]?.seq ?? logSeq + 1;
    }
    const seq = logSeq;
    for (const t of tails.matching(subject)) {
      const copy = { seq, subject, data: JSON.parse(payload), bytes: payload.length };
      queueMicrotask(() => t(copy));
    }
  }

  /** One subscriber per queue group, round-robin; every plain subscriber. */
  function pick(subject: string): Sub[] {
    const out: Sub[] = [];
    const groups = new Map<string, Sub[]>();
    const matching =
      matches.get(subject) ??
      remember(
        matches,
        subject,
        subs.filter((s) => subjectMatches(s.pattern, subject)),
      );
    for (const s of matching) {
      if (!s.queue) out.push(s);
      else groups.set(s.queue, [...(groups.get(s.queue) ?? []), s]);
    }
    for (const [q, members] of groups) {
      const key = `${q}|${subject}`;
      const i = (rr.get(key) ?? 0) % members.length;
      rr.set(key, i + 1);
      out.push(members[i]!);
    }
    return out;
  }

  /** What a publish does on the network: into the log when logged, to one subscriber per group. */
  function route(subject: string, payload: string) {
    if (logged(subject)) append(subject, payload);
    for (const s of pick(subject)) queueMicrotask(() => s.handler(JSON.parse(payload), subject));
  }

  /** One delivery of a durable event; on failure the same retry policy as NATS (bus.ts EventRetry). */
  async function deliverEvent(name: string, data: unknown, subject: string, deliveries = 1, publishedAt = Date.now()): Promise<void> {
    const c = consumers.get(name);
    if (!c || c.handlers.length === 0) return;
    const { h, run, report } = c.handlers[c.next++ % c.handlers.length]!;
    try {
      await h(clone(data), subject);
    } catch (err) {
      report(err, subject);
      const wait = nextRetry(retry, deliveries, Date.now() - publishedAt);
      if (wait !== null) {
        busMetrics.eventRetries.inc({ durable: name });
        setTimeout(() => run(deliverEvent(name, data, subject, deliveries + 1, publishedAt)), wait);
        return;
      }
      const letter: DeadLetterRecord = { subject, durable: name, data, deliveries, publishedAt, error: err instanceof Error ? err.message : String(err) };
      const dlq = netOpts.streams.deadLetters.subject(name, subject);
      route(dlq, JSON.stringify(letter));
      busMetrics.deadLetters.inc({ durable: name });
      report(new Error(`event moved to ${dlq} after ${deliveries} deliveries: ${letter.error}`), subject);
    }
  }

  function connect(opts: { onError?: BusErrorSink } = {}): Bus {
    const mine = new Set<Sub>();
    const myTails = new Set<Tail>();
    let closed = false;
    let inflight = 0;
    let idle: (() => void) | null = null;
    const report: BusErrorSink = (err, subject) => opts.onError?.(err, subject);

    function track<T>(p: Promise<T>): Promise<T> {
      inflight++;
      return p.finally(() => {
        inflight--;
        if (inflight === 0 && idle) idle();
      });
    }
    function add(sub: Sub): Subscription {
      subs.push(sub);
      matches.clear();
      mine.add(sub);
      return {
        unsubscribe: () => {
          subs = subs.filter((s) => s !== sub);
          matches.clear();
          mine.delete(sub);
        },
      };
    }
    async function runHandler(handler: MsgHandler, data: unknown, subject: string): Promise<void> {
      try {
        await handler(data, subject);
      } catch (err) {
        report(err, subject);
      }
    }

    return {
      kind: "memory",
      publish(subject, data) {
        if (closed) return;
        route(subject, JSON.stringify(data ?? null));
      },
      subscribe(subject, handler, o) {
        return add({ pattern: subject, queue: o?.queue, handler: (d, s) => void track(runHandler(handler, d, s)) });
      },
      request(subject, data, o: RequestOptions = {}) {
        if (closed) return Promise.reject(new BusError("CLOSED", subject));
        const target = pick(subject).find((s) => s.responder);
        if (!target) return Promise.reject(new BusError("NO_RESPONDERS", subject));
        const payload = clone(data);
        const trace = traceHeaders();
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new BusError("TIMEOUT", subject)), o.timeoutMs ?? 5000);
          queueMicrotask(() =>
            target.handler(
              payload,
              subject,
              (reply) => {
                clearTimeout(timer);
                resolve(clone(reply));
              },
              trace,
            ),
          );
        });
      },
      respond(subject, handler: ReplyHandler, o) {
        return add({
          pattern: subject,
          queue: o.queue,
          responder: true,
          handler: (d, s, replyTo, trace) => {
            const run = async () => {
              try {
                // Not `replyTo?.(await handler())`: optional call would skip the handler on a plain publish.
                const out = await handler(d, s);
                replyTo?.(out);
              } catch (err) {
                report(err, s);
                replyTo?.(INTERNAL_REPLY);
              }
            };
            // The requester's trace from its headers, not the context the microtask happens to inherit.
            void track(withRemoteParent(trace, run));
          },
        });
      },
      async publishEvent(subject, data, o) {
        if (closed) throw new BusError("CLOSED", subject);
        if (seenEventIds.has(o.msgId)) return;
        seenEventIds.add(o.msgId);
        if (seenEventIds.size > 100_000) seenEventIds.delete(seenEventIds.values().next().value!);
        for (const [name, c] of consumers) {
          if (c.subjects.some((p) => subjectMatches(p, subject))) queueMicrotask(() => void c.handlers[0]?.run(deliverEvent(name, data, subject)));
        }
      },
      async consumeEvents(o, handler) {
        const c = consumers.get(o.durable) ?? { subjects: o.subjects, handlers: [], next: 0 };
        const entry = { h: handler, run: (p: Promise<void>) => void track(p), report };
        c.handlers.push(entry);
        consumers.set(o.durable, c);
        return { unsubscribe: () => void (c.handlers = c.handlers.filter((x) => x !== entry)) };
      },
      async nextSeq(key) {
        const n = (counters.get(key) ?? 0) + 1;
        counters.set(key, n);
        return n;
      },
      async tailLog(filter, handler) {
        const tail: Tail = { filter, handler };
        tails.add(tail);
        myTails.add(tail);
        return { startSeq: logSeq, unsubscribe: () => void (tails.delete(tail), myTails.delete(tail)) };
      },
      async readLog(filter, afterSeq, untilSeq) {
        if (afterSeq + 1 < firstKept) return null;
        return log
          .filter((e) => e.seq > afterSeq && e.seq <= untilSeq && subjectMatches(filter, e.subject))
          .map((e) => ({ seq: e.seq, subject: e.subject, data: clone(e.data), bytes: e.bytes }));
      },
      async kv(name, o) {
        let bucket = kvs.get(name);
        // As a NATS bucket: created once, its ttl is the first caller's.
        if (!bucket) kvs.set(name, (bucket = { map: new Map(), ttlMs: o.ttlMs, nextPrune: 0 }));
        const { map } = bucket;
        // Expired entries leave the map (as NATS max_age removes them), at most once per ttl/2.
        const live = () => {
          const now = Date.now();
          if (now >= bucket.nextPrune) {
            for (const [k, e] of map) if (e.exp <= now) map.delete(k);
            bucket.nextPrune = now + Math.min(bucket.ttlMs / 2, 10_000);
          }
          return now;
        };
        const hit = (key: string) => {
          const e = map.get(key);
          return e && e.exp > live() ? e : undefined;
        };
        const store: KvStore = {
          async get(key) {
            const e = hit(key);
            return e ? JSON.parse(e.v) : null;
          },
          async put(key, value) {
            map.set(key, { v: JSON.stringify(value), exp: live() + bucket.ttlMs, rev: ++kvRevision });
          },
          async delete(key) {
            map.delete(key);
          },
          async entries(prefix) {
            const now = live();
            const out: KvEntry[] = [];
            const head = prefix === undefined ? "" : `${prefix}.`;
            for (const [key, e] of map) if (e.exp > now && key.startsWith(head)) out.push({ key, value: JSON.parse(e.v), revision: e.rev });
            return out;
          },
          async deleteIf(key, revision) {
            if (hit(key)?.rev !== revision) return false;
            return map.delete(key);
          },
          async entry(key) {
            const e = hit(key);
            return e ? { key, value: JSON.parse(e.v), revision: e.rev } : null;
          },
          async putIf(key, value, revision) {
            if ((hit(key)?.rev ?? 0) !== revision) return false;
            map.set(key, { v: JSON.stringify(value), exp: live() + bucket.ttlMs, rev: ++kvRevision });
            return true;
          },
        };
        return store;
      },
      isConnected: () => !closed,
      flush: async () => {
        await new Promise((r) => setTimeout(r, 0));
      },
      async drain() {
        closed = true;
        subs = subs.filter((s) => !mine.has(s));
        matches.clear();
        for (const t of myTails) tails.delete(t);
        for (const c of consumers.values()) c.handlers = c.handlers.filter((x) => x.report !== report);
        if (inflight > 0) await new Promise<void>((r) => (idle = r));
      },
    };
  }

  return { connect };
}

/** In-process bus for the all-in-one runner and unit tests: one connection on its own network. */
export function createMemoryBus(opts: { onError?: BusErrorSink } & MemoryNetworkOptions): Bus {
  return createMemoryNetwork(opts).connect(opts);
}
