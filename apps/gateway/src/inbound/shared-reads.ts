/** An ack body encoded once and written as is to every socket it answers (see ../encoder.ts). */
export class EncodedAck {
  constructor(readonly json: string) {}
}

/**
 * Calls whose answer depends on the tenant alone (contract `perTenant`) share one service request
 * per tenant. A call that arrives while one is on its way, or within `gapMs` of its start, waits for
 * the next, which starts when that one has ended and `gapMs` have passed since it started: every
 * answer was made after its call arrived, so nothing a caller heard of before asking is missing from
 * it, a lone call is not delayed, and a tenant asks at most once per `gapMs`. The answer is encoded
 * once for all who share it — in a reconnect storm of N users that is a few lists, not N lists of N
 * users each encoded, decoded and encoded again. (In process a request is over before the next event
 * is read: without the gap no two calls would ever share.)
 */
export class SharedReads {
  /** The latest request per key, kept until it has ended and `gapMs` have passed since it started. */
  private last = new Map<string, { answer: Promise<EncodedAck>; startedAt: number }>();
  private waiting = new Map<string, Promise<EncodedAck>>();

  constructor(readonly gapMs = 50) {}

  run(key: string, call: () => Promise<unknown>): Promise<EncodedAck> {
    const waiting = this.waiting.get(key);
    if (waiting) return waiting;
    const last = this.last.get(key);
    if (!last) return this.start(key, call);
    const after = async () => {
      await Bun.sleep(Math.max(0, last.startedAt + this.gapMs - performance.now()));
      this.waiting.delete(key);
      return this.start(key, call);
    };
    const next = last.answer.then(after, after);
    this.waiting.set(key, next);
    return next;
  }

  /** Keys with a request on its way, waiting, or started less than `gapMs` ago (for tests). */
  get size(): number {
    return new Set([...this.last.keys(), ...this.waiting.keys()]).size;
  }

  private start(key: string, call: () => Promise<unknown>): Promise<EncodedAck> {
    const startedAt = performance.now();
    const answer = call().then((data) => new EncodedAck(JSON.stringify(data === undefined ? { ok: true } : { ok: true, data })));
    const flight = { answer, startedAt };
    this.last.set(key, flight);
    const forget = () => setTimeout(() => this.last.get(key) === flight && this.last.delete(key), Math.max(0, startedAt + this.gapMs - performance.now()));
    answer.then(forget, forget);
    return answer;
  }
}
