import { expect } from "bun:test";
import type { SvcReply } from "@rt/contracts";

/**
 * What a refusal message must never contain: SQL words, driver or ORM names, table names,
 * stack frames, source paths, newlines. One pattern for every service's tests.
 */
export const LEAK_PATTERN =
  /\b(select|insert|update|where|returning|relation|syntax|violates|constraint)\b|delete from|postgres|pglite|drizzle|calls\.calls|\bat .*:\d+|\bat .*\.ts|\.ts\b|\n/i;

/** A refusal says what went wrong and nothing about how the service is built. */
export function expectSafeMessage(message: unknown): void {
  expect(typeof message).toBe("string");
  expect(message as string).not.toMatch(LEAK_PATTERN);
}

/** The data of a successful action reply; a refusal fails the test with its code. */
export function okData<T = any>(r: SvcReply): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.data as T;
}

/** An action reply (or ack) refused with `code` and a safe message. */
export function expectRefused(r: { ok: boolean; error?: { code: string; message: string } }, code: string): void {
  expect(r).toMatchObject({ ok: false, error: { code } });
  expectSafeMessage(r.error?.message);
}

/** An HTTP answer that failed with `status`/`code` in the platform's error shape. */
export function expectHttpError(res: { status: number; json: any }, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.json).toMatchObject({ error: { code } });
  expectSafeMessage(res.json.error.message);
}

/** The error a promise rejected with (fails the test if it resolved). */
export async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}
