/**
 * Shared helpers of the security and abuse battery (test/battery): sizes from the environment,
 * the figure lines every case prints, checks that make a case fail, percentiles, leak detection.
 */

import { ErrorCode } from "@rt/contracts";

/** `BATTERY_QUICK=1`: every case at a small size (a smoke run of a minute or two). */
export const QUICK = process.env.BATTERY_QUICK === "1";

/** A size knob: `BATTERY_<NAME>` from the environment, else the full or the quick default. */
export function size(name: string, full: number, quick: number): number {
  const raw = process.env[`BATTERY_${name}`];
  if (raw !== undefined && raw !== "") {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`BATTERY_${name} must be a non-negative number, got ${raw}`);
    return n;
  }
  return QUICK ? quick : full;
}

/** One figure line; the runner collects every line that starts with `battery: `. */
export function figure(line: string): void {
  console.log(`battery: ${line}`);
}

/** A progress line (not a figure). */
export function note(line: string): void {
  console.log(`  ${line}`);
}

export const isProtocolCode = (c: unknown): boolean => ErrorCode.safeParse(c).success;

/** An ack as docs/PROTOCOL.md#acks-and-errors defines it: `{ ok: true, data? }` or `{ ok: false, error: { code, message } }`. */
export function isTypedAck(a: unknown): boolean {
  if (!a || typeof a !== "object") return false;
  const o = a as Record<string, unknown>;
  if (o.ok === true) return true;
  if (o.ok !== false || !o.error || typeof o.error !== "object") return false;
  const e = o.error as Record<string, unknown>;
  return isProtocolCode(e.code) && typeof e.message === "string";
}

/**
 * What must never reach a client: stack frames, source paths, SQL and driver messages, JS error
 * class names. Applied to error replies (the server echoes user data in successful ones).
 */
export const LEAK =
  /\bat\s+\S+\s+\(|\bat\s+[/\w.-]+:\d+:\d+|\.(?:ts|js|mjs):\d+|\/work\/|\/home\/|node_modules|\bselect\b[\s\S]{0,200}\bfrom\b|\binsert\s+into\b|\bdelete\s+from\b|\bupdate\s+"?\w+"?\s+set\b|syntax error|relation "|violates|duplicate key|invalid input syntax|out of range for type|\bdrizzle\b|\bpglite\b|postgres(?:ql)?\b|ZodError|TypeError|RangeError|ReferenceError|SyntaxError|\bstack\b/i;

export function leaks(value: unknown): boolean {
  let text: string;
  try {
    text = typeof value === "string" ? value : (JSON.stringify(value) ?? "");
  } catch {
    return false;
  }
  return LEAK.test(text);
}

/** Collected expectations of one case: all are evaluated, the case fails at the end if any failed. */
export class Checks {
  readonly failures: string[] = [];
  constructor(readonly caseName: string) {}

  check(ok: boolean, what: string): boolean {
    if (!ok) {
      this.failures.push(what);
      console.log(`  FAIL ${what}`);
    }
    return ok;
  }

  /** Print the verdict and exit (0 passed, 1 failed). */
  finish(): never {
    if (this.failures.length === 0) {
      console.log(`battery: ${this.caseName} PASS`);
      process.exit(0);
    }
    console.log(`battery: ${this.caseName} FAIL (${this.failures.length}): ${this.failures.slice(0, 5).join(" | ")}`);
    process.exit(1);
  }
}

/** Run a case body with a hard deadline; any throw becomes a failed check. */
export async function runCase(name: string, deadlineS: number, body: (c: Checks) => Promise<void>): Promise<never> {
  const c = new Checks(name);
  const started = performance.now();
  const timer = setTimeout(() => {
    c.check(false, `${name} did not finish within ${deadlineS} s`);
    c.finish();
  }, deadlineS * 1000);
  try {
    await body(c);
  } catch (err) {
    c.check(false, `threw: ${err instanceof Error ? (err.stack ?? err.message).split("\n").slice(0, 4).join(" / ") : String(err)}`);
  }
  clearTimeout(timer);
  note(`${name} took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return c.finish();
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolve with the promise, or reject after ms. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]);
}

/** Run `fn` over items with at most `limit` in flight. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export const mb = (kb: number) => Math.round(kb / 102.4) / 10;
export const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
