/**
 * Token expiries of every socket on one timer: sockets in buckets by their expiry second, a tick
 * every `tickMs` hands the due ones to `onDue`. A timer and a closure per socket were ~2 of its
 * objects and a Timeout each (bench/README.md, idle); this holds one Set entry per socket.
 */
export class Expiries<T extends object> {
  private buckets = new Map<number, Set<T>>();
  /** The last second whose bucket was handed over. */
  private done = Math.floor(Date.now() / 1000);
  private timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly onDue: (item: T) => void,
    tickMs = 250,
  ) {
    this.timer = setInterval(() => this.tick(), tickMs);
    this.timer.unref?.();
  }

  /** Due at `exp` (epoch seconds; none: never); an expiry already past is due at the next tick. */
  add(item: T, exp: number | undefined): void {
    if (exp === undefined) return;
    const at = Math.max(Math.ceil(exp), this.done + 1);
    let bucket = this.buckets.get(at);
    if (!bucket) this.buckets.set(at, (bucket = new Set()));
    bucket.add(item);
  }

  /** Forget an item added with this `exp` (no-op if it is not there). */
  delete(item: T, exp: number | undefined): void {
    if (exp === undefined) return;
    const at = Math.max(Math.ceil(exp), this.done + 1);
    for (const key of [at, Math.ceil(exp)]) {
      const bucket = this.buckets.get(key);
      if (bucket?.delete(item) && bucket.size === 0) this.buckets.delete(key);
    }
  }

  private tick(): void {
    const now = Math.floor(Date.now() / 1000);
    for (; this.done < now; ) {
      const second = ++this.done;
      const bucket = this.buckets.get(second);
      if (!bucket) continue;
      this.buckets.delete(second);
      for (const item of bucket) this.onDue(item);
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
