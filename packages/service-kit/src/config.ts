import { z } from "zod";

/** A bad environment variable: start-up stops with its name. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** A variable's meaning for the README table; `shown` (markdown) is its default when the schema cannot say it. */
const about = <S extends z.ZodType>(schema: S, description: string, shown?: string): S =>
  schema.meta(shown === undefined ? { description } : { description, shownDefault: shown });

const bool = (dflt: boolean) =>
  z
    .enum(["true", "false", "1", "0"])
    .optional()
    .transform((v) => (v === undefined ? dflt : v === "true" || v === "1"))
    .meta({ shownDefault: `\`${dflt}\`` });
const list = z
  .string()
  .optional()
  .transform((v) => (v ? v.split(",").map((s) => s.trim()).filter(Boolean) : []));
const port = (dflt: number) => z.coerce.number().int().min(0).max(65535).default(dflt);
const secret = z.string().min(16, "must be at least 16 characters").optional();
const perMinute = (dflt: number) => z.coerce.number().int().positive().default(dflt);

export const DEV_JWT_SECRET = "dev-secret-change-me-dev-secret-change-me";

/**
 * Every environment variable an app reads, in one schema (the README's Configuration table is
 * generated from it by `bun run docs`); each app reads the ones it needs.
 */
export const PlatformEnv = z
  .object({
    NODE_ENV: about(
      z.enum(["development", "production", "test"]).default("development"),
      "`production` requires `JWT_SECRET` and turns off `/demo` and the `test:*` events",
    ),
    PORT: about(port(3000), "gateway HTTP + Socket.IO port"),
    JWT_SECRET: about(secret, "HS256 secret (16+ characters); required when `NODE_ENV=production`", "dev secret"),
    JWT_ISSUER: about(z.string().min(1).optional(), "`iss` every token must carry, checked when set"),
    JWT_AUDIENCE: about(z.string().min(1).optional(), "`aud` every token must carry, checked when set"),
    ALLOWED_ORIGINS: about(
      list,
      "browser origins allowed at the handshake (comma list); empty: same origin only; non-browser clients (no Origin) always",
    ),
    NATS_URL: about(z.string().url().optional(), "real NATS; without it the in-process bus (one process only)"),
    DATABASE_URL: about(
      z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL").optional(),
      "real Postgres; without it PGlite",
    ),
    AUTH_ANONYMOUS: about(bool(false), "accept sockets without a token (only `ping` / `authenticate`)"),
    TEST_EVENTS: about(z.enum(["true", "false", "1", "0"]).optional(), "enables the `test:*` events", "true unless production"),
    PUBLISH_API_KEY: about(secret, "enables `POST /api/publish` and the API-key notification and approval routes (16+ characters)"),
    PAYMENTS_WEBHOOK_SECRET: about(secret, "HMAC secret of `POST /api/payments/webhook` (16+ characters)"),
    PAYMENTS_ADMIN_ROLES: about(list, "roles that see every payment update of their tenant (comma list)", "`admin`"),
    LEGACY_ALIASES: about(bool(true), "also emit `notification` beside `notification:new`"),
    LOG_LEVEL: about(z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"), "pino level of the JSON logs on stdout"),
    PGLITE_DIR: about(z.string().min(1).default(".data/pglite"), "embedded database folder; `memory` keeps nothing"),
    RATE_LIMIT_MESSAGE: about(perMinute(10), "`message:send` per user per minute, per gateway"),
    RATE_LIMIT_TYPING: about(perMinute(30), "`user:typing` / `user:stop_typing` per user per minute, per gateway"),
    RATE_LIMIT_DEFAULT: about(perMinute(120), "every other event per user per minute, per gateway"),
    OPS_PORT: about(port(0), "a service's own `/health`, `/ready`, `/metrics`; 0 picks a free port"),
    GATEWAY_ID: about(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(), "name of a gateway in the cluster", "random"),
    NATS_NAMESPACE: about(
      z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).optional(),
      "prefix of every NATS subject, stream and bucket: isolates one platform on a shared NATS (tests, `bun run cluster`)",
    ),
    GATEWAY_TOPIC_FANOUT: about(
      bool(true),
      "room broadcasts go out once per room as a Bun WebSocket topic publish; `false` writes each socket separately (bun-engine's own path)",
    ),
  })
  .transform((e, ctx) => {
    if (e.NODE_ENV === "production" && !e.JWT_SECRET) {
      ctx.addIssue({ code: "custom", path: ["JWT_SECRET"], message: "is required in production" });
    }
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
