import { connect, createInbox, errors, headers, type NatsConnection, type Msg, type MsgHdrs } from "@nats-io/transport-node";
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  StorageType,
  jetstream,
  jetstreamManager,
  type JetStreamManager,
  type JsMsg,
  type StreamConfig,
} from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import type { Bus, BusErrorSink, BusStreams, ConsumeOptions, DeadLetterRecord, EventRetry, KvEntry, KvStore, LogEntry, MsgHandler, ReplyHandler } from "./bus.ts";
import { DEFAULT_EVENT_RETRY, INTERNAL_REPLY, nextRetry } from "./bus.ts";
import { busMetrics } from "./metrics.ts";
import { BusError } from "./errors.ts";
import { BATCH_PREFIX, answerBatch, batchRequests } from "./bus-nats-batch.ts";
import { traceHeaders, tracingOn, withRemoteParent } from "@rt/tracing/spans";

export interface NatsBusOptions {
  url: string;
  /** Connection name shown by the NATS server (app and instance). */
  name: string;
  onError?: BusErrorSink;
  /** The JetStream streams: durable events, their dead letters, the delivery log. */
  streams: BusStreams;
  /**
   * Isolates this connection's traffic under `<namespace>.` (its own streams and buckets), so test
   * runs sharing one NATS server cannot answer each other's requests.
   */
  namespace?: string;
  /** Delete the namespace's streams and buckets on drain (the last user of a test namespace). */
  dropNamespaceOnDrain?: boolean;
  /** Retention and retry of durable events (tests shorten it). */
  events?: EventRetry;
  /**
   * Byte bound of the delivery log stream (default 1 GiB). JetStream reserves it on the server's
   * storage when the stream is created, so test namespaces ask for less.
   */
  logMaxBytes?: number;
  /** Waits between attempts to store a delivery in the log before it is reported lost (tests shorten it). */
  logRetryMs?: readonly number[];
  /**
   * false for a publisher confined by NATS permissions (no JetStream API rights): no streams are
   * checked or created at connect; publish, request and subscribe work, durable events do not.
   */
  jetstream?: boolean;
  /** Reply subjects under this prefix instead of `_INBOX` (permissions give each user its own inbox). */
  inboxPrefix?: string;
  /**
   * Send the requests one turn of the event loop makes to one subject as one message
   * (bus-nats-batch.ts). Responders always answer batches; a publisher confined to a few subjects
   * by NATS permissions leaves this off.
   */
  batchRequests?: boolean;
}

/** `nats://user:pass@host:4222`: nats.js takes credentials as options, not inside the server URL. */
export function natsServerOptions(url: string): { servers: string; user?: string; pass?: string } {
  const u = new URL(url);
  if (!u.username) return { servers: url };
  const creds = { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) };
  u.username = "";
  u.password = "";
  return { servers: u.toString().replace(/\/$/, ""), ...creds };
}

/** Each attempt also waits up to LOG_ACK_TIMEOUT_MS for its acknowledgement: about 45 s in all. */
const LOG_RETRY_MS = [250, 1_000, 2_500, 5_000, 10_000];
const LOG_ACK_TIMEOUT_MS = 5_000;

const enc = (v: unknown) => JSON.stringify(v ?? null);
const dec = (m: Msg): unknown => (m.data.length === 0 ? null : m.json());

/** Trace headers as NATS message headers; none (and no cost) without them. */
function msgHeaders(t: Record<string, string> | undefined): MsgHdrs | undefined {
  if (!t) return undefined;
  const h = headers();
  for (const [k, v] of Object.entries(t)) h.set(k, v);
  return h;
}

/** Run a received message's handler in its sender's trace (W3C headers), when tracing is on. */
function inSenderTrace<T>(m: Msg, fn: () => T): T {
  if (!tracingOn()) return fn();
  const parent = m.headers?.get("traceparent");
  const state = m.headers?.get("tracestate");
  return withRemoteParent(parent ? { traceparent: parent, ...(state ? { tracestate: state } : {}) } : undefined, fn);
}
const nanos = (ms: number) => ms * 1_000_000;
/**
 * Pull requests expire (and heartbeats come) this often: after a NATS restart a consumer notices
 * the missing heartbeats and re-pulls within seconds, not the client's default 30 s.
 */
const PULL = { expires: 5_000 } as const;
/** KV bucket of the cluster-wide counters behind nextSeq. */
const SEQ_BUCKET = "rt_seq";

function toBusError(err: unknown, subject: string): unknown {
  if (err instanceof errors.NoRespondersError) return new BusError("NO_RESPONDERS", subject);
  if (err instanceof errors.RequestError && err.isNoResponders()) return new BusError("NO_RESPONDERS", subject);
  if (err instanceof errors.TimeoutError) return new BusError("TIMEOUT", subject);
  // The server's permissions refused the subject (a publisher outside its tenants).
  if (err instanceof errors.PermissionViolationError || (err instanceof errors.RequestError && /Permissions Violation/i.test(err.message)))
    return new BusError("FORBIDDEN", subject);
  if (err instanceof errors.ClosedConnectionError || err instanceof errors.DrainingConnectionError) return new BusError("CLOSED", subject);
  return err;
}

async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.info(config.name);
  } catch {
    try {
      await jsm.streams.add(config);
    } catch (err) {
      // Another replica created it between our info and add.
      await jsm.streams.info(config.name).catch(() => {
        throw err;
      });
    }
  }
}

/** NATS (v3 client) implementation; reconnects forever, JetStream for durable events. */
export async function createNatsBus(opts: NatsBusOptions): Promise<Bus> {
  const ns = opts.namespace;
  const out = (subject: string) => (ns ? `${ns}.${subject}` : subject);
  const back = (subject: string) => (ns && subject.startsWith(`${ns}.`) ? subject.slice(ns.length + 1) : subject);
  const { events: evt, deadLetters, log: deliveryLog } = opts.streams;
  const stream = ns ? { name: `${evt.name}_${ns}`, subjects: evt.subjects.map(out) } : evt;
  const seqBucketName = ns ? `${SEQ_BUCKET}_${ns}` : SEQ_BUCKET;
  const retry = opts.events ?? DEFAULT_EVENT_RETRY;
  const dlqStream = { name: ns ? `${deadLetters.name}_${ns}` : deadLetters.name, subjects: deadLetters.subjects.map(out) };
  const nc: NatsConnection = await connect({
    ...natsServerOptions(opts.url),
    inboxPrefix: opts.inboxPrefix,
    name: opts.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    // nats.js otherwise builds two Errors (with stacks) per request for a timeout's trace; bus
    // errors are mapped to codes and never show those stacks. Building them was 2 % of the
    // all-in-one process's profile in chat at 1,000 sends/s (bench/README.md).
    noAsyncTraces: true,
  });

  const withStreams = opts.jetstream !== false;
  const jsm = await jetstreamManager(nc, { checkAPI: withStreams });
  const logStream = { name: ns ? `${deliveryLog.name}_${ns}` : deliveryLog.name, subjects: deliveryLog.subjects.map(out) };
  const ensureAll = () =>
    Promise.all([
      ensureStream(jsm, {
        ...stream,
        subjects: [...stream.subjects],
        // Dedupe window for publishEvent msgIds; replayed publishes inside it are dropped.
        duplicate_window: nanos(Math.min(2 * 60_000, retry.maxAgeMs)),
        max_age: nanos(retry.maxAgeMs),
      }),
      ensureStream(jsm, { ...dlqStream, storage: StorageType.File, max_age: nanos(deadLetters.maxAgeMs) }),
      ensureStream(jsm, {
        ...logStream,
        // File storage: the log outlives a NATS restart, so recovery and delivery resume after it.
        storage: StorageType.File,
        max_age: nanos(deliveryLog.maxAgeMs),
        max_bytes: opts.logMaxBytes ?? 1024 * 1024 * 1024,
      }),
    ]);
  if (withStreams) await ensureAll();
  let connected = true;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") connected = false;
      else if (s.type === "reconnect") {
        connected = true;
        // A NATS server that lost its state gets the streams back.
        if (withStreams) ensureAll().catch((e) => opts.onError?.(e, "ensure streams"));
      }
    }
  })().catch(() => {});
  const js = jetstream(nc);
  const report = (err: unknown, subject: string) => opts.onError?.(err, subject);
  const loops: Promise<void>[] = [];
  // Handlers still running: drain waits for them, so a reply is never lost to a closing connection.
  const inflight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>) => {
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    return p;
  };
  const subs = new Set<{ drain(): Promise<void>; isClosed(): boolean; unsubscribe(): void }>();
  /** Unsubscribing after a drain (the service stopping after its bus) is a no-op, not an error. */
  const unsubscribe = (sub: { unsubscribe(): void; isClosed(): boolean }) => {
    subs.delete(sub as never);
    if (!sub.isClosed() && !nc.isClosed()) sub.unsubscribe();
  };
  let seqBucket: Promise<KV> | null = null;
  const kvBuckets = new Map<string, Promise<KV>>();
  const seqKv = () => (seqBucket ??= new Kvm(js).create(seqBucketName, { history: 1 }));

  const logRetry = opts.logRetryMs ?? LOG_RETRY_MS;
  // The log's subjects are `prefix.>` patterns: a prefix test, not a token match per publish.
  const logPrefixes = deliveryLog.subjects.map((p) => p.slice(0, -1));
  const onLog = (subject: string) => logPrefixes.some((p) => subject.startsWith(p));
  /**
   * Deliveries into the log are published with a JetStream acknowledgement that the caller does not
   * wait for (many in flight; the hot path costs one publish): the stream's PubAck comes back on
   * one inbox subscription per connection, matched by a token. An error, a 503 (no stream) or no
   * answer within LOG_ACK_TIMEOUT_MS publishes it again; after the last retry it is counted and
   * reported as lost. A retry after a lost acknowledgement may store an entry twice: log readers
   * deliver each envelope id once. No Nats-Msg-Id header: headers cost more than the rest of the
   * publish. Written by hand: the v3 client's js.publish (a request, a timer and a promise per
   * message) made this loop five to ten times slower.
   */
  type LogPub = { subject: string; payload: string; attempt: number; sentTick: number };
  const ackPrefix = `${createInbox(opts.inboxPrefix)}.`;
  const awaitingAck = new Map<number, LogPub>();
  const retrying = new Map<LogPub, ReturnType<typeof setTimeout>>();
  let ackToken = 0;
  // Ages in ticks of the ack sweep (once a second), not a clock read per publish.
  let tick = 0;
  let settled: (() => void) | null = null;
  const sendToLog = (pub: LogPub) => {
    const token = ++ackToken;
    pub.sentTick = tick;
    awaitingAck.set(token, pub);
    try {
      nc.publish(out(pub.subject), pub.payload, { reply: `${ackPrefix}${token}` });
    } catch (err) {
      logFailed(token, err);
    }
  };
  const logFailed = (token: number, err: unknown) => {
    const pub = awaitingAck.get(token);
    if (!pub) return;
    awaitingAck.delete(token);
    const wait = nc.isClosed() ? undefined : logRetry[pub.attempt];
    if (wait === undefined) {
      busMetrics.logPublishFailures.inc();
      report(new Error(`delivery log did not store ${pub.subject} after ${pub.attempt + 1} attempts: ${err instanceof Error ? err.message : String(err)}`), pub.subject);
    } else {
      busMetrics.logPublishRetries.inc();
      pub.attempt++;
      retrying.set(
        pub,
        setTimeout(() => {
          retrying.delete(pub);
          sendToLog(pub);
        }, wait),
      );
    }
    if (awaitingAck.size === 0 && retrying.size === 0) settled?.();
  };
  const ackSub = nc.subscribe(`${ackPrefix}*`, {
    callback: (_err, msg) => {
      const token = Number(msg.subject.slice(ackPrefix.length));
      const status = msg.headers?.code ?? 0;
      // A PubAck is {"stream":…,"seq":…}; only a failure carries "error" (parsed then, not per ack).
      const text = msg.data.length === 0 ? "" : msg.string();
      if (status >= 400 || text === "") return logFailed(token, new Error(`status ${status || "empty"}`));
      if (text.includes('"error"')) return logFailed(token, new Error(text));
      awaitingAck.delete(token);
      if (awaitingAck.size === 0 && retrying.size === 0) settled?.();
    },
  });
  const ackTimer = setInterval(() => {
    tick++;
    for (const [token, pub] of awaitingAck) if (tick - pub.sentTick > LOG_ACK_TIMEOUT_MS / 1000) logFailed(token, new Error("no acknowledgement"));
  }, 1000);
  ackTimer.unref?.();
  /** Resolves when every delivery handed to the log so far is stored or reported lost. */
  const logSettled = () =>
    awaitingAck.size === 0 && retrying.size === 0
      ? Promise.resolve()
      : new Promise<void>((r) => {
          const prev = settled;
          settled = () => {
            settled = null;
            prev?.();
            r();
          };
        });

  /** A failed event: redelivered after the next backoff, or moved to the dead letters before the stream drops it. */
  async function retryOrDeadLetter(m: JsMsg, durable: string, err: unknown): Promise<void> {
    const deliveries = m.info.deliveryCount;
    const wait = nextRetry(retry, deliveries, Date.now() - m.time.getTime());
    if (wait !== null) {
      busMetrics.eventRetries.inc({ durable });
      return m.nak(wait);
    }
    const subject = back(m.subject);
    const letter: DeadLetterRecord = { subject, durable, data: m.json(), deliveries, publishedAt: m.time.getTime(), error: err instanceof Error ? err.message : String(err) };
    const dlq = deadLetters.subject(durable, subject);
    try {
      // Stored (acked) before the event is let go; the msgId makes a repeated move store once.
      await js.publish(out(dlq), enc(letter), { msgID: `${durable}:${m.info.streamSequence}` });
    } catch (e) {
      // Not stored: keep the event and try again (it may still expire, and that is reported).
      report(e, dlq);
      return m.nak(retry.backoffMs[0] ?? 1000);
    }
    m.term(`moved to ${dlq}`);
    busMetrics.deadLetters.inc({ durable });
    report(new Error(`event moved to ${dlq} after ${deliveries} deliveries: ${letter.error}`), subject);
  }

  /** A subscription callback that decodes each message (a bad one is reported, not thrown) and hands it on. */
  const decoding = (subject: string, use: (data: unknown, msg: Msg) => void) => (err: Error | null, msg: Msg) => {
    if (err) return report(err, subject);
    let data: unknown;
    try {
      data = dec(msg);
    } catch (e) {
      return report(e, msg.subject);
    }
    use(data, msg);
  };
  /** One request as its own message (with the caller's trace as headers). */
  const single = async (subject: string, body: string, timeoutMs: number, trace: Record<string, string> | undefined) => {
    try {
      return dec(await nc.request(out(subject), body, { timeout: timeoutMs, headers: msgHeaders(trace) }));
    } catch (err) {
      throw toBusError(err, subject);
    }
  };
  const batched = opts.batchRequests ? batchRequests({ nc, out, single, inboxPrefix: opts.inboxPrefix }) : null;

  return {
    kind: "nats",
    publish(subject, data) {
      if (!onLog(subject)) {
        // Fire-and-forget is at most once: after drain it is dropped, as on the in-process bus, not thrown at the caller.
        if (!nc.isClosed()) nc.publish(out(subject), enc(data), { headers: msgHeaders(traceHeaders()) });
        return;
      }
      sendToLog({ subject, payload: enc(data), attempt: 0, sentTick: 0 });
    },
    subscribe(subject, handler: MsgHandler, o) {
      const sub = nc.subscribe(out(subject), {
        queue: o?.queue,
        callback: decoding(subject, (data, msg) =>
          track(
            Promise.resolve()
              .then(() => inSenderTrace(msg, () => handler(data, back(msg.subject))))
              .catch((e) => report(e, msg.subject)),
          ),
        ),
      });
      subs.add(sub);
      return { unsubscribe: () => unsubscribe(sub) };
    },
    request(subject, data, o = {}) {
      const timeoutMs = o.timeoutMs ?? 5000;
      return batched ? batched.request(subject, enc(data), timeoutMs, traceHeaders()) : single(subject, enc(data), timeoutMs, traceHeaders());
    },
    respond(subject, handler: ReplyHandler, o) {
      const answer = (msg: Msg, run: () => unknown) =>
        Promise.resolve()
          .then(run)
          .catch((e) => {
            report(e, msg.subject);
            return INTERNAL_REPLY;
          });
      const batchSub = nc.subscribe(out(BATCH_PREFIX + subject), {
        queue: o.queue,
        callback: decoding(subject, (data, msg) => {
          const at = back(msg.subject).slice(BATCH_PREFIX.length);
          track(
            answerBatch(
              msg,
              data,
              (item) => answer(msg, () => handler(item, at)),
              (e) => report(e, msg.subject),
            ),
          );
        }),
      });
      subs.add(batchSub);
      const sub = nc.subscribe(out(subject), {
        queue: o.queue,
        callback: (err, msg) => {
          if (err) return report(err, subject);
          void track(
            answer(msg, () => inSenderTrace(msg, () => handler(dec(msg), back(msg.subject))))
              .then((reply) => {
                if (msg.reply) msg.respond(enc(reply));
              })
              .catch((e) => report(e, msg.subject)),
          );
        },
      });
      subs.add(sub);
      return {
        unsubscribe: () => {
          unsubscribe(sub);
          unsubscribe(batchSub);
        },
      };
    },
    async publishEvent(subject, data, o) {
      try {
        await js.publish(out(subject), enc(data), { msgID: o.msgId });
      } catch (err) {
        throw toBusError(err, subject);
      }
    },
    async consumeEvents(o: ConsumeOptions, handler) {
      // NATS 2.9 has one filter subject per consumer: one durable per subject.
      const stops: (() => void)[] = [];
      for (const [i, filter] of o.subjects.entries()) {
        const durable = o.subjects.length === 1 ? o.durable : `${o.durable}-${i}`;
        // Unlimited deliveries: the retry policy, not a count, decides when an event leaves.
        const config = { ack_policy: AckPolicy.Explicit, filter_subject: out(filter), ack_wait: nanos(30_000), max_deliver: -1 };
        try {
          await jsm.consumers.add(stream.name, { durable_name: durable, ...config });
        } catch {
          // Already exists (another replica, a restart, or an older version that gave up after 10 tries).
          await jsm.consumers.update(stream.name, durable, { max_deliver: -1 }).catch((e) => report(e, durable));
        }
        const consumer = await js.consumers.get(stream.name, durable);
        const messages = await consumer.consume(PULL);
        stops.push(() => void messages.stop());
        loops.push(
          (async () => {
            for await (const m of messages) {
              try {
                await handler(m.json(), back(m.subject));
                m.ack();
              } catch (err) {
                report(err, m.subject);
                await retryOrDeadLetter(m, durable, err);
              }
            }
          })().catch((e) => report(e, stream.name)),
        );
      }
      return {
        unsubscribe: () => {
          for (const s of stops) s();
        },
      };
    },
    async nextSeq(key) {
      const kv = await seqKv();
      // Compare-and-set loop: a lost race re-reads and tries the next value.
      for (let attempt = 0; attempt < 50; attempt++) {
        const cur = await kv.get(key);
        const next = (cur && cur.length > 0 ? Number(cur.string()) : 0) + 1;
        try {
          if (cur?.operation !== "PUT") await kv.create(key, String(next));
          else await kv.update(key, String(next), cur.revision);
          return next;
        } catch {
          // wrong last sequence: someone else took this value
        }
      }
      throw new BusError("TIMEOUT", `kv ${key}`);
    },
    async tailLog(filter, handler) {
      // Start right after the last stored entry, so nothing falls between startSeq and the tail.
      // An ordered consumer keeps stream sequences through its filter: positions stay global.
      const startSeq = (await jsm.streams.info(logStream.name)).state.last_seq;
      const consumer = await js.consumers.get(logStream.name, {
        filter_subjects: out(filter),
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: startSeq + 1,
      });
      const messages = await consumer.consume(PULL);
      loops.push(
        (async () => {
          for await (const m of messages) {
            let e: LogEntry;
            try {
              e = { seq: m.seq, subject: back(m.subject), data: m.json(), bytes: m.data.length };
            } catch (err) {
              report(err, m.subject);
              continue;
            }
            try {
              handler(e);
            } catch (err) {
              report(err, m.subject);
            }
          }
        })().catch((e) => report(e, logStream.name)),
      );
      return { startSeq, unsubscribe: () => void messages.stop() };
    },
    async readLog(filter, afterSeq, untilSeq) {
      const info = await jsm.streams.info(logStream.name);
      if (afterSeq + 1 < info.state.first_seq) return null;
      const last = Math.min(untilSeq, info.state.last_seq);
      if (last <= afterSeq) return [];
      const consumer = await js.consumers.get(logStream.name, {
        filter_subjects: out(filter),
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: afterSeq + 1,
      });
      // Nothing on this filter after the start: answer now rather than wait out a fetch.
      if ((await consumer.info()).num_pending === 0) return [];
      const outEntries: LogEntry[] = [];
      // Bounded: at most the stream's size, read in batches until `last` or nothing pending.
      for (;;) {
        const batch = await consumer.fetch({ max_messages: 500, expires: 1000 });
        let n = 0;
        let done = false;
        for await (const m of batch) {
          n++;
          if (m.seq <= last) outEntries.push({ seq: m.seq, subject: back(m.subject), data: m.json(), bytes: m.data.length });
          if (m.seq >= last || m.info.pending === 0) {
            done = true;
            break;
          }
        }
        if (done || n === 0) break;
      }
      return outEntries;
    },
    async kv(name, o) {
      const bucket = ns ? `${name}_${ns}` : name;
      let p = kvBuckets.get(bucket);
      if (!p) kvBuckets.set(bucket, (p = new Kvm(js).create(bucket, { history: 1, ttl: o.ttlMs, storage: StorageType.File })));
      const kv = await p;
      const store: KvStore = {
        async get(key) {
          const e = await kv.get(key);
          return e && e.operation === "PUT" && e.length > 0 ? e.json() : null;
        },
        async put(key, value) {
          await kv.put(key, JSON.stringify(value));
        },
        async delete(key) {
          await kv.delete(key);
        },
        async entries(prefix) {
          // history 1: the last value of every key (under the prefix), read by one ordered consumer (not a get per key).
          const out: KvEntry[] = [];
          for await (const e of await kv.history(prefix === undefined ? {} : { key: `${prefix}.>` }))
            if (e.operation === "PUT" && e.length > 0) out.push({ key: e.key, value: e.json(), revision: e.revision });
          return out;
        },
        async deleteIf(key, revision) {
          try {
            await kv.delete(key, { previousSeq: revision });
            return true;
          } catch {
            // wrong last sequence: written since (or already deleted)
            return false;
          }
        },
        async entry(key) {
          const e = await kv.get(key);
          return e && e.operation === "PUT" && e.length > 0 ? { key, value: e.json(), revision: e.revision } : null;
        },
        async putIf(key, value, revision) {
          try {
            // create() also succeeds over a delete marker; update() needs the exact last revision.
            if (revision === 0) await kv.create(key, JSON.stringify(value));
            else await kv.update(key, JSON.stringify(value), revision);
            return true;
          } catch (err) {
            if (isWrongRevision(err)) return false;
            throw err;
          }
        },
      };
      return store;
    },
    isConnected: () => connected && !nc.isClosed(),
    async flush() {
      await nc.flush();
      await logSettled();
    },
    async drain() {
      if (nc.isClosed()) return;
      // Requests waiting for the end of the turn go out, and their replies come in, before the
      // connection stops taking messages (each batch is bounded by its timeout).
      await batched?.flush();
      // Stop taking messages, finish what is running (replies included), then close.
      await Promise.allSettled([...subs].filter((x) => !x.isClosed()).map((x) => x.drain()));
      await Promise.allSettled([...inflight]);
      // Bounded: a shutdown must fit its grace period; what is still unconfirmed is reported.
      await Promise.race([logSettled(), new Promise((r) => setTimeout(r, LOG_ACK_TIMEOUT_MS))]);
      const unconfirmed = awaitingAck.size + retrying.size;
      if (unconfirmed > 0) {
        busMetrics.logPublishFailures.inc(unconfirmed);
        report(new Error(`delivery log did not confirm ${unconfirmed} deliveries before shutdown`), logStream.name);
      }
      clearInterval(ackTimer);
      for (const timer of retrying.values()) clearTimeout(timer);
      retrying.clear();
      awaitingAck.clear();
      ackSub.unsubscribe();
      if (ns && opts.dropNamespaceOnDrain) {
        await jsm.streams.delete(stream.name).catch(() => {});
        await jsm.streams.delete(logStream.name).catch(() => {});
        await jsm.streams.delete(dlqStream.name).catch(() => {});
        for (const b of [seqBucket, ...kvBuckets.values()]) if (b) await (await b).destroy().catch(() => {});
      }
      await nc.drain();
      // Replies that came before the close were taken; the rest never will.
      batched?.close();
    },
  };
}

/** A compare-and-set that lost its race (not a transport failure, which the caller must see). */
const isWrongRevision = (err: unknown) =>
  err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);
