import { createInbox, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { withRemoteParent } from "@rt/tracing/spans";
import { BusError } from "./errors.ts";

/**
 * Requests to one subject made in one turn of the event loop travel as one NATS message on
 * `<BATCH_PREFIX><subject>` (in the responder's queue group, so one replica takes the lot), and
 * their replies come back as they complete, those of one turn again in one message. At 1,000 sends
 * a second every send cost four NATS messages for its request and reply alone; a busy gateway
 * makes several sends per turn.
 */
export const BATCH_PREFIX = "_rtb.";
/** Bounds of one batch: NATS's default max_payload is 1 MiB and one request may carry 64 KiB. */
const MAX_ITEMS = 64;
const MAX_BYTES = 256 * 1024;

/** W3C trace headers of the caller, carried per item (one batch holds many traces). */
type Trace = Record<string, string> | undefined;

interface Item {
  body: string;
  trace: Trace;
  resolve(reply: unknown): void;
  reject(err: unknown): void;
  settled: boolean;
}

interface Waiting {
  subject: string;
  timeoutMs: number;
  items: Item[];
  timer: ReturnType<typeof setTimeout>;
}

export interface BatchDeps {
  nc: NatsConnection;
  /** The subject on the wire (the bus's namespace). */
  out(subject: string): string;
  /** One request as its own message: a batch of one, and the way to a responder that predates batches. */
  single(subject: string, body: string, timeoutMs: number, trace: Trace): Promise<unknown>;
  inboxPrefix?: string;
}

export interface BatchedRequests {
  request(subject: string, body: string, timeoutMs: number, trace: Trace): Promise<unknown>;
  /** Send what waits for the end of the turn now, and resolve when every batch sent has its replies or failed (drain). */
  flush(): Promise<void>;
  /** Fail what still waits for a reply (the connection is closing). */
  close(): void;
}

/** An item as it travels: `[data]`, or `[data, trace]` when the caller is in a trace. */
const encodeItems = (items: Item[]) => `[${items.map((it) => (it.trace ? `[${it.body},${JSON.stringify(it.trace)}]` : `[${it.body}]`)).join(",")}]`;

export function batchRequests(deps: BatchDeps): BatchedRequests {
  const { nc } = deps;
  const open = new Map<string, { subject: string; timeoutMs: number; items: Item[]; bytes: number }>();
  const waiting = new Map<number, Waiting>();
  const replyPrefix = `${createInbox(deps.inboxPrefix)}.`;
  let token = 0;
  let scheduled = false;

  const settle = (it: Item, p: Promise<unknown>) => p.then(it.resolve, it.reject);
  const viaSingles = (subject: string, items: Item[], timeoutMs: number) => {
    for (const it of items) if (!it.settled) settle(it, deps.single(subject, it.body, timeoutMs, it.trace));
  };
  /** Called once nothing waits for a reply (drain's flush); several flushes each get called. */
  let idle: (() => void) | null = null;
  const done = (t: number, w: Waiting) => {
    waiting.delete(t);
    clearTimeout(w.timer);
    if (waiting.size > 0 || !idle) return;
    const call = idle;
    idle = null;
    call();
  };
  const failAll = (t: number, err: unknown) => {
    const w = waiting.get(t);
    if (!w) return;
    done(t, w);
    for (const it of w.items) if (!it.settled) it.reject(err);
  };

  const send = (subject: string, timeoutMs: number, items: Item[]) => {
    const [only] = items;
    if (items.length === 1 && only) return void settle(only, deps.single(subject, only.body, timeoutMs, only.trace));
    const t = ++token;
    waiting.set(t, { subject, timeoutMs, items, timer: setTimeout(() => failAll(t, new BusError("TIMEOUT", subject)), timeoutMs) });
    try {
      nc.publish(deps.out(BATCH_PREFIX + subject), encodeItems(items), { reply: `${replyPrefix}${t}` });
    } catch {
      // Closed or draining: each item fails as its own request would.
      failAll(t, new BusError("CLOSED", subject));
    }
  };

  const sendOpen = () => {
    scheduled = false;
    const batches = [...open.values()];
    open.clear();
    for (const b of batches) send(b.subject, b.timeoutMs, b.items);
  };

  const replies = nc.subscribe(`${replyPrefix}*`, {
    callback: (_err, msg) => {
      const t = Number(msg.subject.slice(replyPrefix.length));
      const w = waiting.get(t);
      if (!w) return;
      const status = msg.headers?.code ?? 0;
      if (status === 503) {
        // No responder on the batch subject: none at all, or one from before batches (a rolling
        // deploy). Each item goes again on its own; a plain request tells the two apart.
        done(t, w);
        return viaSingles(w.subject, w.items, w.timeoutMs);
      }
      let answered: unknown;
      try {
        answered = status >= 400 ? null : msg.json();
      } catch {
        answered = null;
      }
      if (!Array.isArray(answered)) return failAll(t, new Error(`bad batch reply on ${w.subject} (status ${status})`));
      for (const pair of answered) {
        const it = Array.isArray(pair) && typeof pair[0] === "number" ? w.items[pair[0]] : undefined;
        if (it && !it.settled) it.resolve(pair[1]);
      }
      if (w.items.every((it) => it.settled)) done(t, w);
    },
  });

  return {
    request(subject, body, timeoutMs, trace) {
      return new Promise((resolve, reject) => {
        const key = `${timeoutMs} ${subject}`;
        let b = open.get(key);
        if (!b) open.set(key, (b = { subject, timeoutMs, items: [], bytes: 0 }));
        // `settled`: a reply, a failure or the fallback's answer came; a late duplicate is dropped.
        const it: Item = {
          body,
          trace,
          settled: false,
          resolve: (v) => {
            it.settled = true;
            resolve(v);
          },
          reject: (e) => {
            it.settled = true;
            reject(e);
          },
        };
        b.items.push(it);
        b.bytes += body.length;
        if (b.items.length >= MAX_ITEMS || b.bytes >= MAX_BYTES) {
          open.delete(key);
          send(subject, timeoutMs, b.items);
        } else if (!scheduled) {
          scheduled = true;
          setImmediate(sendOpen);
        }
      });
    },
    flush() {
      sendOpen();
      if (waiting.size === 0) return Promise.resolve();
      return new Promise<void>((r) => {
        const before = idle;
        idle = () => {
          before?.();
          r();
        };
      });
    },
    close() {
      for (const t of [...waiting.keys()]) failAll(t, new BusError("CLOSED", waiting.get(t)?.subject ?? ""));
      if (!replies.isClosed()) replies.unsubscribe();
    },
  };
}

/**
 * Answer one batch: run every item (`run` never rejects: a throwing handler answers INTERNAL), and
 * send the replies of each turn as one message of `[index, reply]` pairs, so a quick answer (a
 * refusal) does not wait for a slow one. Resolves when the last reply is sent.
 */
export function answerBatch(msg: Msg, data: unknown, run: (item: unknown) => Promise<unknown>, report: (err: unknown) => void): Promise<void> {
  if (!Array.isArray(data)) {
    report(new Error("bad batch request"));
    return Promise.resolve();
  }
  let ready: [number, unknown][] = [];
  let scheduled = false;
  const send = () => {
    scheduled = false;
    if (ready.length === 0 || !msg.reply) return;
    const out = ready;
    ready = [];
    try {
      msg.respond(JSON.stringify(out));
    } catch (err) {
      report(err);
    }
  };
  return Promise.all(
    data.map((item, i) => {
      const [body, trace] = Array.isArray(item) ? (item as [unknown, Trace]) : [undefined, undefined];
      return withRemoteParent(trace, () => run(body)).then((reply) => {
        ready.push([i, reply ?? null]);
        if (!scheduled) {
          scheduled = true;
          setImmediate(send);
        }
      });
    }),
  ).then(send);
}
