import { timingSafeEqual } from "node:crypto";
import { AppError } from "@rt/contracts";

/**
 * The internal-publisher key check (`X-Api-Key`), constant-time. A platform without
 * PUBLISH_API_KEY has the key routes switched off: they answer UNAUTHENTICATED.
 */
export function checkApiKey(given: string | undefined | null, expected: string | undefined): void {
  if (!expected) throw new AppError("UNAUTHENTICATED", "publishing API is not enabled");
  if (!given) throw new AppError("UNAUTHENTICATED", "X-Api-Key is required");
  if (!secretEquals(given, expected)) throw new AppError("UNAUTHENTICATED", "X-Api-Key is wrong");
}

/** Constant-time comparison of a presented credential with the configured one. */
export function secretEquals(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
