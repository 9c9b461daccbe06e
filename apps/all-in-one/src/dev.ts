import { DEV_JWT_SECRET } from "@rt/service-kit";

/**
 * The environment `bun run dev` runs with: the demo console on by default, but only while
 * JWT_SECRET is the built-in dev secret (its minted tokens are then worthless elsewhere) and not
 * in production. An explicit DEMO always wins; config refuses DEMO=true in production.
 */
export function devEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const devSecret = !env.JWT_SECRET || env.JWT_SECRET === DEV_JWT_SECRET;
  if (env.DEMO || env.NODE_ENV === "production" || !devSecret) return env;
  return { ...env, DEMO: "true" };
}
