import { isIP } from "node:net";
import { z } from "zod";

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
export const SECRET_VARS = ["JWT_SECRET", "PUBLISH_API_KEY", "PAYMENTS_WEBHOOK_SECRET", "METRICS_TOKEN", "TURN_SECRET"] as const;

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

/** Every variable of PROTOCOL "Configuration"; each app reads the ones it needs. */
export const PlatformEnv = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    PORT: port(3000),
    JWT_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
    JWT_ISSUER: z.string().min(1).optional(),
    JWT_AUDIENCE: z.string().min(1).optional(),
    /** Longest token lifetime accepted, seconds: `exp - iat` (or `exp - now` without `iat`). */
    JWT_MAX_AGE: z.coerce.number().int().positive().default(24 * 60 * 60),
    /** The demo console at /demo (and, with the dev secret only, its token minting). */
    DEMO: bool(false),
    /** Bearer credential for the gateway's public /metrics; without it production serves /metrics on OPS_PORT only. */
    METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
    ALLOWED_ORIGINS: list,
    NATS_URL: z.string().url().optional(),
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL").optional(),
    AUTH_ANONYMOUS: bool(false),
    TEST_EVENTS: z.enum(["true", "false", "1", "0"]).optional(),
    PUBLISH_API_KEY: z.string().min(16, "must be at least 16 characters").optional(),
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
    /**
     * Recovery window of PROTOCOL "Connection state recovery", ms; at most 2 min, since the
     * delivery log keeps 150 s. Shorter in tests that go past it.
     */
    RECOVERY_MS: z.coerce.number().int().min(1000).max(120_000).default(120_000),
    /** How long the sync service keeps data-changes for `sync:since`, seconds (then pruned). */
    SYNC_RETENTION: z.coerce.number().int().positive().default(7 * 24 * 60 * 60),
    /** TURN servers handed to callers (`turn:host:3478`, `turns:…`); with TURN_SECRET, /api/calls/turn-credentials is on. */
    TURN_URLS: list,
    /** coturn's `static-auth-secret` (use-auth-secret): the key of the credentials' HMAC. */
    TURN_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
    /** Lifetime of TURN credentials, seconds (the TURN REST API draft suggests a day). */
    TURN_TTL: z.coerce.number().int().positive().max(7 * 24 * 60 * 60).default(24 * 60 * 60),
    SERVICE_MAX_INFLIGHT: z.coerce.number().int().positive().default(1000),
    /** Handshakes per client address per minute, per gateway. */
    RATE_LIMIT_HANDSHAKE: z.coerce.number().int().positive().default(120),
    /** Sockets one user may hold on one gateway. */
    MAX_SOCKETS_PER_USER: z.coerce.number().int().positive().default(10),
    /** Data-sync types one socket may be subscribed to (each is a room in its session). */
    MAX_SYNC_TYPES_PER_SOCKET: z.coerce.number().int().positive().default(200),
    /** Proxies whose X-Forwarded-For names the client (IPs or CIDRs); empty: the peer is the client. */
    TRUSTED_PROXIES: list.refine((l) => l.every(isIpOrCidr), "must be a comma list of IP addresses or CIDR blocks"),
    /** Port of a service's own /health, /ready, /metrics (0 picks a free one). */
    OPS_PORT: port(0),
    GATEWAY_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
    /** Prefix of every NATS subject, stream and bucket: isolates one platform on a shared NATS (tests). */
    NATS_NAMESPACE: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).optional(),
  })
  .transform((e, ctx) => {
    if (e.NODE_ENV === "production") {
      if (!e.JWT_SECRET) ctx.addIssue({ code: "custom", path: ["JWT_SECRET"], message: "is required in production" });
      for (const name of SECRET_VARS) {
        const why = e[name] === undefined ? null : weakSecret(e[name]);
        if (why) ctx.addIssue({ code: "custom", path: [name], message: why });
      }
      // The console mints tokens for any tenant: never in production (a refusal, not a silent off).
      if (e.DEMO) ctx.addIssue({ code: "custom", path: ["DEMO"], message: "must not be on in production" });
    }
    // One without the other is a half-configured TURN: refuse it rather than serve nothing.
    if (e.TURN_URLS.length > 0 && !e.TURN_SECRET) ctx.addIssue({ code: "custom", path: ["TURN_SECRET"], message: "is required with TURN_URLS" });
    if (e.TURN_SECRET && e.TURN_URLS.length === 0) ctx.addIssue({ code: "custom", path: ["TURN_URLS"], message: "is required with TURN_SECRET" });
    return {
      ...e,
      JWT_SECRET: e.JWT_SECRET ?? DEV_JWT_SECRET,
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
