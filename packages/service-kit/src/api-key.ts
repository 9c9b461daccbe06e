import { createHash, timingSafeEqual } from "node:crypto";
import { AppError } from "@rt/contracts";
import type { Logger } from "pino";

/** One publish credential and the tenants it may write to (`*`: every tenant). */
export interface PublishKey {
  key: string;
  tenants: "*" | readonly string[];
}

/** An authenticated publisher: `keyId` names it in logs (a hash prefix, never the key). */
export interface Publisher {
  keyId: string;
  tenants: "*" | readonly string[];
}

/** What logs may say about a key: the first 12 hex characters of its SHA-256. */
export const keyIdOf = (key: string) => createHash("sha256").update(key).digest("hex").slice(0, 12);

/**
 * PUBLISH_API_KEYS: `key1=tenantA|tenantB,key2=*`. The last `=` splits (base64 keys end in `=`).
 * Throws a one-line reason that never echoes a key.
 */
export function parsePublishKeys(text: string): PublishKey[] {
  const seen = new Set<string>();
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry, i) => {
      const at = entry.lastIndexOf("=");
      const key = entry.slice(0, at).trim();
      const list = entry
        .slice(at + 1)
        .split("|")
        .map((t) => t.trim());
      if (at <= 0 || list.some((t) => !t || t.length > 128)) throw new Error(`entry ${i + 1}: must be key=tenant|tenant or key=*`);
      if (key.length < 16) throw new Error(`entry ${i + 1}: the key must be at least 16 characters`);
      if (seen.has(key)) throw new Error(`entry ${i + 1}: the same key is listed twice`);
      seen.add(key);
      if (list.includes("*") && list.length > 1) throw new Error(`entry ${i + 1}: * stands alone`);
      return { key, tenants: list[0] === "*" ? "*" : list };
    });
}

/** Every publish credential: PUBLISH_API_KEY (all tenants, kept for compatibility) and PUBLISH_API_KEYS. */
export function publishKeysOf(config: { PUBLISH_API_KEY?: string; PUBLISH_API_KEYS: readonly PublishKey[] }): PublishKey[] {
  return [...(config.PUBLISH_API_KEY ? [{ key: config.PUBLISH_API_KEY, tenants: "*" as const }] : []), ...config.PUBLISH_API_KEYS];
}

/**
 * The internal-publisher key check (`X-Api-Key`), constant-time against every configured key. A
 * platform without publish keys has the key routes switched off: they answer UNAUTHENTICATED.
 */
export function authenticatePublisher(given: string | undefined | null, keys: readonly PublishKey[]): Publisher {
  if (!keys.length) throw new AppError("UNAUTHENTICATED", "publishing API is not enabled");
  if (!given) throw new AppError("UNAUTHENTICATED", "X-Api-Key is required");
  // Every key is compared (no early exit), so timing says nothing about which one nearly matched.
  let found: PublishKey | undefined;
  for (const k of keys) if (secretEquals(given, k.key)) found ??= k;
  if (!found) throw new AppError("UNAUTHENTICATED", "X-Api-Key is wrong");
  return { keyId: keyIdOf(found.key), tenants: found.tenants };
}

export const mayPublish = (p: Publisher, tenantId: string) => p.tenants === "*" || p.tenants.includes(tenantId);

/** A publisher writing outside its tenants is FORBIDDEN and logged (who, where; never the key). */
export function requirePublishTenant(p: Publisher, tenantId: string, log: Logger, route: string): void {
  if (mayPublish(p, tenantId)) return;
  log.warn({ keyId: p.keyId, tenantId, route }, "publish refused: tenant not allowed for this key");
  throw new AppError("FORBIDDEN", "this key may not publish to that tenant");
}

/** Constant-time comparison of a presented credential with the configured one. */
export function secretEquals(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
