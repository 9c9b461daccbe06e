import { DEV_JWT_SECRET } from "@rt/service-kit";

/**
 * The environment `bun run dev` runs with: the demo console on by default, but only while
 * JWT_SECRET is the built-in dev secret (its minted tokens are then worthless elsewhere) and not
 * in production. An explicit DEMO always wins; config refuses DEMO=true in production. In the
 * same dev setup a token without a tenant claim lands in `default` (pasted hand-made tokens work);
 * everywhere else such a token is refused unless JWT_DEFAULT_TENANT is set.
 */
export function devEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const devSecret = !env.JWT_SECRET || env.JWT_SECRET === DEV_JWT_SECRET;
  const keySet = !!(env.JWT_JWKS_URL || env.JWT_PUBLIC_KEYS);
  if (env.NODE_ENV === "production" || !devSecret || keySet) return env;
  return { ...env, DEMO: env.DEMO || "true", JWT_DEFAULT_TENANT: env.JWT_DEFAULT_TENANT || "default" };
}
