import { isIP } from "node:net";
import { z } from "zod";
import { parsePublicKeys } from "@rt/auth";
import { TenantId } from "@rt/contracts";
import { parsePublishKeys } from "./api-key.ts";

/** A bad environment variable: start-up stops with its name. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const bool = (dflt: boolean) =>
  z
    .enum(["true", "false", "1", "0"])
    .optional()
    .transform((v) => (v === undefined ? dflt : v === "true" || v === "1"));
const list = z
  .string()
  .optional()
  .transform((v) => (v ? v.split(",").map((s) => s.trim()).filter(Boolean) : []));
/** An IP address or a CIDR block (`10.0.0.0/8`, `fd00::/8`). */
const isIpOrCidr = (v: string) => {
  const [ip, bits, extra] = v.split("/");
  const family = isIP(ip ?? "");
  if (!family || extra !== undefined) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
};
const port = (dflt: number) => z.coerce.number().int().min(0).max(65535).default(dflt);

export const DEV_JWT_SECRET = "dev-secret-change-me-dev-secret-change-me";

/** Every variable that holds a secret; in production each must pass `weakSecret`. */
export const SECRET_VARS = ["JWT_SECRET", "PUBLISH_API_KEY", "PAYMENTS_WEBHOOK_SECRET", "METRICS_TOKEN", "ADMIN_API_KEY"] as const;

/**
 * Why a secret is too weak for production, or null. Shipped placeholders (`change-me…`, the dev
 * secret) and short or repetitive values are guessable; 32 bytes is HS256's key size.
 */
export function weakSecret(value: string): string | null {
  if (value === DEV_JWT_SECRET) return "is the built-in dev secret";
  if (value.toLowerCase().includes("change-me")) return "is a placeholder (contains change-me)";
  if (Buffer.byteLength(value, "utf8") < 32) return "must be at least 32 bytes in production";
  if (new Set(value).size < 10) return "must have at least 10 distinct characters in production";
  return null;
}

const limitValue = z.number().int().positive();
const TenantLimitOverrides = z.record(
  TenantId,
  z.object({ connections: limitValue.optional(), messagesPerMinute: limitValue.optional(), syncRooms: limitValue.optional() }).strict(),
);

/** Every variable of PROTOCOL "Configuration"; each app reads the ones it needs. */
export const PlatformEnv = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    PORT: port(3000),
    JWT_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
    JWT_ISSUER: z.string().min(1).optional(),
    JWT_AUDIENCE: z.string().min(1).optional(),
    /** An identity provider's JWKS endpoint: RS256 / ES256 / EdDSA tokens, keys cached and refreshed on an unknown kid. */
    JWT_JWKS_URL: z.string().url().regex(/^https?:\/\//, "must be an http(s) URL").optional(),
    /** Least time between two JWKS fetches an unknown kid triggers (a flood of made-up kids costs one fetch). */
    JWT_JWKS_COOLDOWN_MS: z.coerce.number().int().min(0).default(30_000),
    /** Offline key set: PEM public keys, a JWK, a JSON array of JWKs or a JWKS. */
    JWT_PUBLIC_KEYS: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined) return undefined;
        try {
          return parsePublicKeys(v);
        } catch (err) {
          ctx.addIssue({ code: "custom", message: (err as Error).message });
          return z.NEVER;
        }
      }),
    /** Tenant of a token without a tenant claim; unset, such a token is refused. */
    JWT_DEFAULT_TENANT: TenantId.optional(),
    /** Claim paths (dotted for nested claims, e.g. realm_access.roles). */
    JWT_TENANT_CLAIM: z.string().min(1).default("tenantId"),
    JWT_ROLES_CLAIM: z.string().min(1).default("roles"),
    JWT_NAME_CLAIM: z.string().min(1).default("name"),
    /** Longest token lifetime accepted, seconds: `exp - iat` (or `exp - now` without `iat`). */
    JWT_MAX_AGE: z.coerce.number().int().positive().default(24 * 60 * 60),
    /** The demo console at /demo (and, with the dev secret only, its token minting). */
    DEMO: bool(false),
    /** Bearer credential for the gateway's public /metrics; without it production serves /metrics on OPS_PORT only. */
    METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
    ALLOWED_ORIGINS: list,
    /** Platform-wide admin credential (`Authorization: Bearer <key>`) of /api/admin and /admin. */
    ADMIN_API_KEY: z.string().min(16, "must be at least 16 characters").optional(),
    /** Token roles that make their holder an admin of their own tenant; empty (nobody) by default. */
    ADMIN_ROLES: list,
    /** The operator console at /admin. */
    ADMIN_CONSOLE: bool(false),
    NATS_URL: z.string().url().optional(),
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL").optional(),
    AUTH_ANONYMOUS: bool(false),
    TEST_EVENTS: z.enum(["true", "false", "1", "0"]).optional(),
    PUBLISH_API_KEY: z.string().min(16, "must be at least 16 characters").optional(),
    /** Publish keys scoped to tenants: `key1=tenantA|tenantB,key2=*`. */
    PUBLISH_API_KEYS: z
      .string()
      .optional()
      .transform((v, ctx) => {
        try {
          return v ? parsePublishKeys(v) : [];
        } catch (err) {
          ctx.addIssue({ code: "custom", message: (err as Error).message });
          return z.NEVER;
        }
      }),
    PAYMENTS_WEBHOOK_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
    PAYMENTS_ADMIN_ROLES: list,
    LEGACY_ALIASES: bool(true),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    PGLITE_DIR: z.string().min(1).default(".data/pglite"),
    RATE_LIMIT_MESSAGE: z.coerce.number().int().positive().default(10),
    RATE_LIMIT_TYPING: z.coerce.number().int().positive().default(30),
    RATE_LIMIT_DEFAULT: z.coerce.number().int().positive().default(120),
    /** Forwarded events a gateway has in flight before it refuses more (UNAVAILABLE, retryAfterMs). */
    GATEWAY_MAX_INFLIGHT: z.coerce.number().int().positive().default(4096),
    /** Actions one service process runs at once before it refuses more (UNAVAILABLE, retryAfterMs). */
    SERVICE_MAX_INFLIGHT: z.coerce.number().int().positive().default(1000),
    /** Handshakes per client address per minute, per gateway. */
    RATE_LIMIT_HANDSHAKE: z.coerce.number().int().positive().default(120),
    /** Sockets one user may hold on one gateway. */
    MAX_SOCKETS_PER_USER: z.coerce.number().int().positive().default(10),
    /** Data-sync types one socket may be subscribed to (each is a room in its session). */
    MAX_SYNC_TYPES_PER_SOCKET: z.coerce.number().int().positive().default(200),
    /**
     * Data-sync types only some roles may join: `payroll=hr|admin,invoice=finance`. A type not
     * listed is tenant-wide (any member of the tenant may join it).
     */
    SYNC_TYPE_ROLES: z
      .string()
      .optional()
      .transform((v, ctx) => {
        const map: Record<string, string[]> = {};
        for (const entry of (v ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
          const [type, roles, extra] = entry.split("=");
          const list = (roles ?? "").split("|").map((r) => r.trim()).filter(Boolean);
          if (!type?.trim() || !list.length || extra !== undefined) {
            ctx.addIssue({ code: "custom", message: "must be type=role|role entries separated by commas" });
            return z.NEVER;
          }
          map[type.trim()] = list;
        }
        return map;
      }),
    /** Per-tenant limits on each gateway (a noisy tenant cannot starve the others); TENANT_LIMITS overrides per tenant. */
    TENANT_MAX_CONNECTIONS: z.coerce.number().int().positive().default(10_000),
    TENANT_RATE_MESSAGES: z.coerce.number().int().positive().default(60_000),
    TENANT_MAX_SYNC_ROOMS: z.coerce.number().int().positive().default(1_000),
    /** `{"acme":{"connections":50000,"messagesPerMinute":200000,"syncRooms":5000}}`, any field optional. */
    TENANT_LIMITS: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (!v) return {};
        let json: unknown;
        try {
          json = JSON.parse(v);
        } catch {
          ctx.addIssue({ code: "custom", message: "is not valid JSON" });
          return z.NEVER;
        }
        const r = TenantLimitOverrides.safeParse(json);
        if (r.success) return r.data;
        ctx.addIssue({ code: "custom", message: r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join(", ") });
        return z.NEVER;
      }),
    /** Tenants named in the tenant-limit metrics besides those of TENANT_LIMITS (the first refused); the rest are `other`. */
    TENANT_METRICS_TOP: z.coerce.number().int().min(0).max(1000).default(20),
    /** Proxies whose X-Forwarded-For names the client (IPs or CIDRs); empty: the peer is the client. */
    TRUSTED_PROXIES: list.refine((l) => l.every(isIpOrCidr), "must be a comma list of IP addresses or CIDR blocks"),
    /** Port of a service's own /health, /ready, /metrics (0 picks a free one). */
    OPS_PORT: port(0),
    GATEWAY_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
    /** Prefix of every NATS subject, stream and bucket: isolates one platform on a shared NATS (tests). */
    NATS_NAMESPACE: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).optional(),
  })
  .transform((e, ctx) => {
    const keySet = !!(e.JWT_JWKS_URL || e.JWT_PUBLIC_KEYS);
    // One key with two scopes would be the all-tenant one: ambiguous, so refused.
    if (e.PUBLISH_API_KEYS.some((k) => k.key === e.PUBLISH_API_KEY)) ctx.addIssue({ code: "custom", path: ["PUBLISH_API_KEYS"], message: "repeats PUBLISH_API_KEY" });
    // With an identity provider's keys the shipped secret must never sign a token that passes.
    if (keySet && e.JWT_SECRET === DEV_JWT_SECRET) ctx.addIssue({ code: "custom", path: ["JWT_SECRET"], message: "is the built-in dev secret (never accepted with a key set)" });
    if (e.NODE_ENV === "production") {
      if (!e.JWT_SECRET && !keySet) ctx.addIssue({ code: "custom", path: ["JWT_SECRET"], message: "is required in production (or JWT_JWKS_URL / JWT_PUBLIC_KEYS)" });
      // Keys fetched over plain http could be swapped on the way: anyone could then sign tokens.
      if (e.JWT_JWKS_URL?.startsWith("http:")) ctx.addIssue({ code: "custom", path: ["JWT_JWKS_URL"], message: "must be https in production" });
      for (const name of SECRET_VARS) {
        const why = e[name] === undefined ? null : weakSecret(e[name]);
        if (why) ctx.addIssue({ code: "custom", path: [name], message: why });
      }
      for (const [i, { key }] of e.PUBLISH_API_KEYS.entries()) {
        const why = weakSecret(key);
        if (why) ctx.addIssue({ code: "custom", path: ["PUBLISH_API_KEYS"], message: `entry ${i + 1}: ${why}` });
      }
      // The console mints tokens for any tenant: never in production (a refusal, not a silent off).
      if (e.DEMO) ctx.addIssue({ code: "custom", path: ["DEMO"], message: "must not be on in production" });
    }
    return {
      ...e,
      // The dev secret only stands in when nothing else verifies tokens.
      JWT_SECRET: e.JWT_SECRET ?? (keySet ? undefined : DEV_JWT_SECRET),
      TEST_EVENTS: e.TEST_EVENTS === undefined ? e.NODE_ENV !== "production" : e.TEST_EVENTS === "true" || e.TEST_EVENTS === "1",
      PAYMENTS_ADMIN_ROLES: e.PAYMENTS_ADMIN_ROLES.length ? e.PAYMENTS_ADMIN_ROLES : ["admin"],
    };
  });
export type PlatformConfig = z.output<typeof PlatformEnv>;

/** Parse the environment; throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): PlatformConfig {
  // Empty strings mean "unset", as in most shells' `VAR= cmd`.
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const r = PlatformEnv.safeParse(clean);
  if (r.success) return r.data;
  const msg = r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  throw new ConfigError(`invalid configuration: ${msg}`);
}

/** loadConfig for a process's entry point: a bad variable prints one line and exits 1, no stack trace. */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): PlatformConfig {
  try {
    return loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}
