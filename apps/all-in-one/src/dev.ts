import { DEV_JWT_SECRET, type PlatformConfig } from "@rt/service-kit";

/** Publish API key and payments webhook secret `bun run dev` turns on with the dev secret (printed at start). */
export const DEV_PUBLISH_API_KEY = "dev-publish-key-change-me";
export const DEV_WEBHOOK_SECRET = "dev-webhook-secret-change-me";

/**
 * The environment `bun run dev` runs with: the demo console, the publish API and the payments
 * webhook on by default, but only while JWT_SECRET is the built-in dev secret (its minted tokens
 * are then worthless elsewhere), no identity-provider key set is configured, and not in
 * production. An explicit value always wins; config refuses DEMO=true and these placeholder keys
 * in production. In the same dev setup a token without a tenant claim lands in `default` (pasted
 * hand-made tokens work); everywhere else such a token is refused unless JWT_DEFAULT_TENANT is set.
 */
export function devEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const devSecret = !env.JWT_SECRET || env.JWT_SECRET === DEV_JWT_SECRET;
  const keySet = !!(env.JWT_JWKS_URL || env.JWT_PUBLIC_KEYS);
  if (env.NODE_ENV === "production" || !devSecret || keySet) return env;
  return {
    ...env,
    DEMO: env.DEMO || "true",
    JWT_DEFAULT_TENANT: env.JWT_DEFAULT_TENANT || "default",
    PUBLISH_API_KEY: env.PUBLISH_API_KEY || DEV_PUBLISH_API_KEY,
    PAYMENTS_WEBHOOK_SECRET: env.PAYMENTS_WEBHOOK_SECRET || DEV_WEBHOOK_SECRET,
  };
}

/**
 * What `bun run dev` prints once ready: where to start, and the dev credentials it turned on
 * itself (never a key the user set).
 */
export function devBanner(config: PlatformConfig, port: number): string[] {
  const url = `http://localhost:${port}`;
  const lines = [`Realtime platform on ${url}: ${url}/docs${config.DEMO ? `, ${url}/demo` : ""}`];
  if (config.PUBLISH_API_KEY === DEV_PUBLISH_API_KEY) {
    lines.push(
      `dev publish API key (PUBLISH_API_KEY): ${DEV_PUBLISH_API_KEY}`,
      `  curl -X POST ${url}/api/publish -H 'x-api-key: ${DEV_PUBLISH_API_KEY}' -H 'content-type: application/json' \\`,
      `    -d '{"tenantId":"default","target":{"kind":"tenant"},"event":"hello","data":{"text":"hi"}}'`,
    );
  }
  if (config.PAYMENTS_WEBHOOK_SECRET === DEV_WEBHOOK_SECRET) lines.push(`dev payments webhook secret (PAYMENTS_WEBHOOK_SECRET): ${DEV_WEBHOOK_SECRET}`);
  return lines;
}
