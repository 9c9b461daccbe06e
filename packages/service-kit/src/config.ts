import { isIP } from "node:net";
import { z } from "zod";
import { parsePublicKeys } from "@rt/auth";
import { TenantId } from "@rt/contracts";
import { parsePublishKeys } from "./api-key.ts";

/** A bad environment variable: start-up stops with its name. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** A variable's meaning for the README table; `shown` (markdown) is its default when the schema cannot say it. */
const about = <S extends z.ZodType>(schema: S, description: string, shown?: string): S => schema.meta(shown === undefined ? { description } : { description, shownDefault: shown });

const bool = (dflt: boolean) =>
  z
    .enum(["true", "false", "1", "0"])
    .optional()
    .transform((v) => (v === undefined ? dflt : v === "true" || v === "1"))
    .meta({ shownDefault: `\`${dflt}\`` });
const list = z
  .string()
  .optional()
  .transform((v) =>
    v
      ? v
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
      : [],
  );
/** An IP address or a CIDR block (`10.0.0.0/8`, `fd00::/8`). */
const isIpOrCidr = (v: string) => {
  const [ip, bits, extra] = v.split("/");
  const family = isIP(ip ?? "");
  if (!family || extra !== undefined) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
};
const port = (dflt: number) => z.coerce.number().int().min(0).max(65535).default(dflt);
const secret = z.string().min(16, "must be at least 16 characters").optional();
const perMinute = (dflt: number) => z.coerce.number().int().positive().default(dflt);

export const DEV_JWT_SECRET = "dev-secret-change-me-dev-secret-change-me";

/** Every variable that holds a secret; in production each must pass `weakSecret`. */
export const SECRET_VARS = ["JWT_SECRET", "PUBLISH_API_KEY", "PAYMENTS_WEBHOOK_SECRET", "METRICS_TOKEN", "ADMIN_API_KEY", "TURN_SECRET"] as const;

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

/**
 * Every environment variable an app reads, in one schema (the README's Configuration table is
 * generated from it by `bun run docs`); each app reads the ones it needs.
 */
export const PlatformEnv = z
  .object({
    NODE_ENV: about(
      z.enum(["development", "production", "test"]).default("development"),
      "`production`: every secret must be strong (below), `JWT_SECRET` is required, `DEMO` is refused, `test:*` events are off by default and the gateway's `/metrics` moves to `OPS_PORT`",
    ),
    PORT: about(port(3000), "gateway HTTP + Socket.IO port"),
    JWT_SECRET: about(
      secret,
      "HS256 secret (16+ characters); required when `NODE_ENV=production` unless `JWT_JWKS_URL` / `JWT_PUBLIC_KEYS` is set; the built-in dev secret is refused beside a key set (`packages/service-kit/src/config.test.ts`)",
      "dev secret (none with a key set)",
    ),
    JWT_ISSUER: about(z.string().min(1).optional(), "`iss` every token must carry, checked when set"),
    JWT_AUDIENCE: about(z.string().min(1).optional(), "`aud` every token must carry, checked when set"),
    JWT_JWKS_URL: about(
      z
        .string()
        .url()
        .regex(/^https?:\/\//, "must be an http(s) URL")
        .optional(),
      "an identity provider's JWKS endpoint (https in production): RS256, ES256 and EdDSA tokens, key chosen by `kid`; keys cached and re-fetched on an unknown `kid` at most once per cooldown, so a rotation needs no restart (`packages/auth/src/jwks.test.ts`, `apps/gateway/src/inbound/idp.test.ts`)",
    ),
    JWT_JWKS_COOLDOWN_MS: about(z.coerce.number().int().min(0).default(30_000), "least time between two JWKS fetches an unknown `kid` triggers, in milliseconds"),
    JWT_PUBLIC_KEYS: about(
      z
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
      "offline key set: PEM public keys (matched by algorithm), one JWK, a JSON array of JWKs or a JWKS; only RSA, EC P-256 and Ed25519 public keys (a private or symmetric key stops the start) (`packages/auth/src/keys.test.ts`)",
    ),
    JWT_DEFAULT_TENANT: about(
      TenantId.optional(),
      "tenant of a token without a tenant claim; unset, such a token is refused",
      "\u2014 (`bun run dev`: `default` with the dev secret)",
    ),
    JWT_TENANT_CLAIM: about(z.string().min(1).default("tenantId"), "where the tenant claim sits: a claim name or a dotted path"),
    JWT_ROLES_CLAIM: about(
      z.string().min(1).default("roles"),
      "where the roles claim sits (`realm_access.roles`); roles must be a list (a string there is refused; the seed's single `role` claim is read when the roles claim is absent)",
    ),
    JWT_NAME_CLAIM: about(z.string().min(1).default("name"), "where the name claim sits; the name falls back to `sub`"),
    JWT_MAX_AGE: about(
      z.coerce
        .number()
        .int()
        .positive()
        .default(24 * 60 * 60),
      "longest token lifetime accepted, in seconds: `exp - iat` (`exp - now` without `iat`; an `iat` in the future counts as now); every token must carry `exp`",
    ),
    DEMO: about(bool(false), "the `/demo` console; its token minting only with the dev secret; refused in production", "`false` (`bun run dev`: `true` with the dev secret)"),
    METRICS_TOKEN: about(
      secret,
      "bearer credential for the gateway's `/metrics` on the public port (then required in every mode); without it production serves `/metrics` on `OPS_PORT` only",
    ),
    ALLOWED_ORIGINS: about(
      list,
      "other browser origins allowed at the handshake (comma list, `*` any); the gateway's own origin (Origin's host and port = the request's `Host`) is always allowed; non-browser clients (no Origin) always. `X-Forwarded-Host` is ignored: a proxy must pass the client's `Host`",
    ),
    ADMIN_API_KEY: about(z.string().min(16, "must be at least 16 characters").optional(), "platform-wide credential of `/api/admin/*` and `/admin` (`Authorization: Bearer`)"),
    ADMIN_ROLES: about(list, "token roles that make their holder an admin of their own tenant (comma list)", "\u2014 (nobody)"),
    ADMIN_CONSOLE: about(bool(false), "serve the operator console at `/admin`"),
    NATS_URL: about(z.string().url().optional(), "real NATS; without it the in-process bus (one process only); `nats://user:pass@host:4222` connects as that NATS user"),
    DATABASE_URL: about(
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
        .optional(),
      "real Postgres; without it PGlite",
    ),
    AUTH_ANONYMOUS: about(bool(false), "accept sockets without a token (only `ping` / `authenticate`)"),
    TEST_EVENTS: about(z.enum(["true", "false", "1", "0"]).optional(), "enables the `test:*` events", "true unless production"),
    PUBLISH_API_KEY: about(
      secret,
      "enables `POST /api/publish` and the API-key notification and approval routes; publishes to every tenant (16+ characters)",
      "— (`bun run dev` with the dev secret: `dev-publish-key-change-me`)",
    ),
    PUBLISH_API_KEYS: about(
      z
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
      "publish keys scoped to tenants: `key1=tenantA|tenantB,key2=*` (the last `=` splits, so base64 padding is fine); a key writing to another tenant gets FORBIDDEN and a `publish refused` log line naming the key by `keyId` (first 12 hex characters of its SHA-256), never the key (`apps/gateway/src/http/publish-scope.test.ts`)",
    ),
    PAYMENTS_WEBHOOK_SECRET: about(secret, "HMAC secret of `POST /api/payments/webhook` (16+ characters)", "— (`bun run dev` with the dev secret: `dev-webhook-secret-change-me`)"),
    PAYMENTS_ADMIN_ROLES: about(list, "roles that see every payment update of their tenant (comma list)", "`admin`"),
    LEGACY_ALIASES: about(bool(true), "also emit `notification` beside `notification:new`"),
    LOG_LEVEL: about(z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"), "pino level of the JSON logs on stdout"),
    CRASH_AFTER_COMMIT: about(
      z.string().min(1).optional(),
      "fault tests only: a service whose outbox crash point has this name (`chat`, `jobs`, …, or `*`) kills itself with SIGKILL right after a commit, before its publish (`test/cluster/delivery-faults.test.ts`); refused in production",
    ),
    EVENT_RETENTION_MS: about(
      z.coerce
        .number()
        .int()
        .min(10_000)
        .default(7 * 24 * 3600_000),
      "how long the domain-event stream keeps an event (JetStream `max_age`); a consumer retries a failing event with backoff and, a quarter of this (at most 1 h) before it would be dropped, moves it to the dead-letter subject and counts it (`test/cluster/delivery-faults.test.ts`); set when the stream is created",
      "7 days",
    ),
    OTEL_TRACES_EXPORTER: about(
      z.enum(["otlp", "none"]).default("none"),
      "`otlp` switches OpenTelemetry tracing on: spans per client event, service action, database query and delivery, sent over OTLP/HTTP (README “Traces”); `none` (the default here, unlike the OTel SDKs): no span is made, each hook is one branch (README “Traces” has the cost either way)",
    ),
    OTEL_EXPORTER_OTLP_ENDPOINT: about(z.string().url().default("http://localhost:4318"), "OTLP/HTTP collector base URL; spans go to `<it>/v1/traces`"),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: about(z.string().url().optional(), "full OTLP/HTTP traces URL, instead of the base URL's `/v1/traces`"),
    OTEL_EXPORTER_OTLP_HEADERS: about(
      z
        .string()
        .optional()
        .transform((v, ctx) => {
          const out: Record<string, string> = {};
          for (const pair of (v ?? "").split(",").filter((p) => p.trim())) {
            const at = pair.indexOf("=");
            if (at < 1) {
              ctx.addIssue({ code: "custom", message: "must be `key=value` pairs, comma separated" });
              return z.NEVER;
            }
            out[pair.slice(0, at).trim()] = decodeURIComponent(pair.slice(at + 1).trim());
          }
          return out;
        }),
      "headers of every OTLP request (`key=value,key2=value2`, values URL-encoded), e.g. a collector's API key",
    ),
    OTEL_TRACES_SAMPLER: about(
      z.enum(["parentbased_always_on", "parentbased_traceidratio"]).default("parentbased_always_on"),
      "which new traces are recorded: all, or the `OTEL_TRACES_SAMPLER_ARG` fraction; a service follows its caller's decision",
    ),
    OTEL_TRACES_SAMPLER_ARG: about(z.coerce.number().min(0).max(1).default(1), "fraction of client events traced with `parentbased_traceidratio`"),
    OTEL_SERVICE_NAME: about(z.string().min(1).optional(), "`service.name` of the spans", "the process: `gateway`, `chat`, … or `realtime` (all-in-one)"),
    PGLITE_DIR: about(z.string().min(1).default(".data/pglite"), "embedded database folder; `memory` keeps nothing"),
    RATE_LIMIT_MESSAGE: about(perMinute(10), "`message:send` (and `POST /api/chat/rooms/:id/messages`) per user per minute (see `RATE_LIMIT_SCOPE`)"),
    RATE_LIMIT_TYPING: about(perMinute(30), "`user:typing` / `user:stop_typing` per user per minute (see `RATE_LIMIT_SCOPE`)"),
    RATE_LIMIT_DEFAULT: about(perMinute(120), "every other event (and every other REST write) per user per minute (see `RATE_LIMIT_SCOPE`)"),
    RATE_LIMIT_HANDSHAKE: about(
      perMinute(120),
      "handshakes per client address per minute (see `RATE_LIMIT_SCOPE`); past it `connect_error` with message `too many connection attempts from this address`, `data.code` `RATE_LIMITED` and `data.retryAfterMs` (`apps/gateway/src/inbound/handshake.test.ts`)",
    ),
    RATE_LIMIT_SCOPE: about(
      z.enum(["gateway", "cluster"]).optional(),
      "where the `RATE_LIMIT_*` and `TENANT_RATE_MESSAGES` budgets are counted: `cluster` shares them between gateways over a KV bucket of the bus (a user spread over 3 gateways gets the budget once, `apps/gateway/src/inbound/limits-cluster.test.ts`); `gateway` counts each gateway alone (N gateways: up to N× the budget)",
      "cluster with NATS_URL, else gateway",
    ),
    MAX_SOCKETS_PER_USER: about(
      z.coerce.number().int().positive().default(10),
      "sockets of one user on one gateway; the next handshake gets `connect_error` `too many connections for this user (max N)`, `data.code` `RATE_LIMITED`",
    ),
    MAX_SYNC_TYPES_PER_SOCKET: about(
      z.coerce.number().int().positive().default(200),
      "data-sync types one socket may hold; a `join-data-sync` past it answers `VALIDATION` (waiting does not help, `leave-data-sync` does), which bounds the rooms and the session snapshot of a socket",
    ),
    DELIVERY_TENANT_GRACE_MS: about(
      z.coerce.number().int().min(1000).default(30_000),
      "how long a gateway keeps following a tenant's deliveries after its last socket of that tenant left (a reconnect within it costs no new consumer); a gateway reads only the tenants it has sockets of (`test/cluster/interest.test.ts`)",
    ),
    RECOVERY_MS: about(
      z.coerce.number().int().min(1000).max(120_000).default(120_000),
      "connection state recovery window in milliseconds: a client back within it gets what it missed (the delivery log keeps 150 s, so more is no use)",
    ),
    RECOVERY_MAX_EVENTS: about(
      z.coerce.number().int().positive().default(20_000),
      "most events one recovery replays of what the client missed while away (what arrives during the replay is sent live, not counted); a longer gap is a fresh session (`recovered === false`) and the client SDK re-joins (`apps/gateway/src/outbound/recovery-bound.test.ts`)",
    ),
    RECOVERY_MAX_BYTES: about(
      z.coerce
        .number()
        .int()
        .positive()
        .default(8 * 1024 * 1024),
      "most bytes (delivery envelopes as logged) one recovery replays of what the client missed while away; past it a fresh session",
    ),
    DELIVERY_LOG_MAX_BYTES: about(
      z.coerce
        .number()
        .int()
        .positive()
        .default(1024 * 1024 * 1024),
      "byte bound of the delivery log stream (`RT_DELIVER`), set when the stream is created; JetStream reserves it on the NATS server's storage up front (the test suite asks for 64 MiB per namespace)",
    ),
    RECOVERY_MAX_CONCURRENT: about(
      z.coerce.number().int().positive().default(16),
      "replays one gateway runs at once; a reconnect waits up to 5 s for a turn, then starts fresh. Memory for replays stays under this × `RECOVERY_MAX_BYTES`",
    ),
    SESSION_MARGIN_MS: about(
      z.coerce.number().int().positive().default(30_000),
      "how long a session outlives the recovery window after its socket is gone, before a gateway's sweep removes it (`apps/gateway/src/outbound/recovery-sweep.test.ts`)",
    ),
    SYNC_RETENTION: about(
      z.coerce
        .number()
        .int()
        .positive()
        .default(7 * 24 * 60 * 60),
      "how long the sync service keeps data-changes for `sync:since`, in seconds (then pruned; a catch-up past it answers `complete: false`)",
    ),
    TURN_URLS: about(list, "TURN servers handed to callers (`turn:host:3478`, `turns:…`); with `TURN_SECRET`, `GET /api/calls/turn-credentials` is on"),
    TURN_SECRET: about(secret, "coturn's `static-auth-secret` (use-auth-secret): the key of the credentials' HMAC-SHA1 (16+ characters)"),
    TURN_TTL: about(
      z.coerce
        .number()
        .int()
        .positive()
        .max(7 * 24 * 60 * 60)
        .default(24 * 60 * 60),
      "lifetime of TURN credentials, in seconds",
    ),
    SYNC_TYPE_ROLES: about(
      z
        .string()
        .optional()
        .transform((v, ctx) => {
          const map: Record<string, string[]> = {};
          for (const entry of (v ?? "")
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean)) {
            const [type, roles, extra] = entry.split("=");
            const list = (roles ?? "")
              .split("|")
              .map((r) => r.trim())
              .filter(Boolean);
            if (!type?.trim() || !list.length || extra !== undefined) {
              ctx.addIssue({ code: "custom", message: "must be type=role|role entries separated by commas" });
              return z.NEVER;
            }
            map[type.trim()] = list;
          }
          return map;
        }),
      "data-sync types only some roles may join (`payroll=hr|admin,invoice=finance`): a socket without a listed role gets `FORBIDDEN` on `join-data-sync`, and a token with fewer roles leaves those rooms; types not listed are tenant-wide (`apps/gateway/src/inbound/sync-roles.test.ts`)",
    ),
    TENANT_MAX_CONNECTIONS: about(
      z.coerce.number().int().positive().default(10_000),
      "sockets of one tenant on one gateway; the next handshake gets `connect_error` `too many connections for this tenant (max N)`, `data.code` `RATE_LIMITED` (`apps/gateway/src/inbound/tenant-limits.test.ts`)",
    ),
    TENANT_RATE_MESSAGES: about(
      z.coerce.number().int().positive().default(60_000),
      "client events of one tenant per minute (see `RATE_LIMIT_SCOPE`), all its users together; past it `RATE_LIMITED` `too many events for this tenant, slow down` with `retryAfterMs`; other tenants are not touched",
    ),
    TENANT_MAX_SYNC_ROOMS: about(
      z.coerce.number().int().positive().default(1_000),
      "distinct data-sync rooms (entity types) one tenant holds open on one gateway; a `join-data-sync` opening one more answers `RATE_LIMITED` (joining an open room still works; a room closes with its last socket)",
    ),
    TENANT_LIMITS: about(
      z
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
      'JSON overrides per tenant: `{"big-co":{"connections":50000,"messagesPerMinute":200000,"syncRooms":5000}}`, each field optional',
    ),
    TENANT_METRICS_TOP: about(
      z.coerce.number().int().min(0).max(1000).default(20),
      "`rt_gateway_tenant_limited_total{tenant,limit}` names the tenants of `TENANT_LIMITS` and the first N tenants refused; every other tenant is counted as `other`, so the label set stays bounded",
    ),
    TRUSTED_PROXIES: about(
      list.refine((l) => l.every(isIpOrCidr), "must be a comma list of IP addresses or CIDR blocks"),
      "comma list of proxy IPs / CIDRs whose `X-Forwarded-For` names the client (right-most address none of them vouches for); from any other peer the header is ignored. Compose sets it for its nginx; behind a Kubernetes ingress set it to the ingress's addresses",
    ),
    GATEWAY_MAX_INFLIGHT: about(
      z.coerce.number().int().positive().default(4096),
      "forwarded events one gateway has waiting for their service; past it an event is refused at once with `UNAVAILABLE` and `retryAfterMs`, never queued into a timeout (a bound against collapse: lower it to trade refusals for latency)",
    ),
    SERVICE_MAX_INFLIGHT: about(
      z.coerce.number().int().positive().default(1000),
      "actions one service process runs at once; past it an action is refused at once with `UNAVAILABLE` and `retryAfterMs` (`apps/gateway/src/inbound/overload.test.ts`)",
    ),
    SERVICE_QUEUE_BUDGET_MS: about(
      z.coerce.number().int().min(0).default(50),
      "queueing a service's accepted actions may see, in ms: while they take longer than that past their unqueued time and more is asked of the service than it has lately completed (or for 500 ms in a row), the in-flight bound shrinks to what the service completes in that time (Little's law) and the rest is refused at once with `UNAVAILABLE` and `retryAfterMs`; a slow moment at a rate the service keeps up with (a commit waiting on the disk) is not refused; 0 leaves only `SERVICE_MAX_INFLIGHT` (`packages/service-kit/src/inflight.test.ts`)",
    ),
    OPS_PORT: about(port(0), "a service's own `/health`, `/ready`, `/metrics` (the gateway's too with `NODE_ENV=production`); 0 picks a free port"),
    GATEWAY_ID: about(
      z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,64}$/)
        .optional(),
      "name of a gateway in the cluster",
      "random",
    ),
    NATS_NAMESPACE: about(
      z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,32}$/)
        .optional(),
      "prefix of every NATS subject, stream and bucket: isolates one platform on a shared NATS (tests, `bun run cluster`)",
    ),
    PRESENCE_BATCH_MS: about(
      z.coerce.number().int().min(100).max(60_000).default(4000),
      'interval of `presence:batch` (sockets that chose `presence: "batch"`): one batch per tenant per interval with every user whose presence changed; 4 s keeps a 10 s reconnect storm at ≤ 5 presence frames per socket (`apps/presence/src/batch.platform.test.ts`)',
    ),
    PRESENCE_TENANT_EVENTS: about(
      bool(true),
      "tenant-wide presence (`user:online`, `user:offline`, `presence:batch`); `false` sends none of them, and clients follow presence per chat room (`room:user-online`, `room:presence`) and `presence:list`",
    ),
    GATEWAY_TOPIC_FANOUT: about(bool(true), "room broadcasts go out once per room as a Bun WebSocket topic publish; `false` writes each socket separately (bun-engine's own path)"),
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
      if (e.CRASH_AFTER_COMMIT) ctx.addIssue({ code: "custom", path: ["CRASH_AFTER_COMMIT"], message: "must not be set in production" });
    }
    // One without the other is a half-configured TURN: refuse it rather than serve nothing.
    if (e.TURN_URLS.length > 0 && !e.TURN_SECRET) ctx.addIssue({ code: "custom", path: ["TURN_SECRET"], message: "is required with TURN_URLS" });
    if (e.TURN_SECRET && e.TURN_URLS.length === 0) ctx.addIssue({ code: "custom", path: ["TURN_URLS"], message: "is required with TURN_SECRET" });
    return {
      ...e,
      // The dev secret only stands in when nothing else verifies tokens.
      JWT_SECRET: e.JWT_SECRET ?? (keySet ? undefined : DEV_JWT_SECRET),
      RATE_LIMIT_SCOPE: e.RATE_LIMIT_SCOPE ?? (e.NATS_URL ? "cluster" : "gateway"),
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

/**
 * Whether roles may join (or catch up on) a data-sync type under SYNC_TYPE_ROLES: a type without
 * an entry is tenant-wide. The gateway checks it on join, the sync service on `sync:since`.
 */
export function syncAllowed(entityType: string, roles: readonly string[], typeRoles: Readonly<Record<string, readonly string[]>>): boolean {
  const need = Object.hasOwn(typeRoles, entityType) ? typeRoles[entityType] : undefined;
  return !need || roles.some((r) => need.includes(r));
}
