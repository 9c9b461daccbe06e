import { describe, expect, test } from "bun:test";
import { ConfigError, DEV_JWT_SECRET, loadConfig } from "./config.ts";

/** A production environment with strong secrets; each test spoils one variable. */
const strong = {
  NODE_ENV: "production",
  JWT_SECRET: "Zq8vL2mXr4TnW9pK0sYb7HcJ3dFg6AeU",
  PUBLISH_API_KEY: "pk_9fK2mQ7xLw4RtZ8vNc3BhY6jS1dGa0Pe",
  PAYMENTS_WEBHOOK_SECRET: "whsec_Tg5Yn2Kq8Lm3Xr7Vc1Bz4Hw9Jd6Fs0Pa",
  METRICS_TOKEN: "mt_4Hq9Lz2Xw7Kc3Vn8Bm1Rt6Yp5Js0Gd",
};
const refusal = (env: Record<string, string | undefined>) => {
  try {
    loadConfig(env);
    return "accepted";
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
};

describe("production secrets", () => {
  test("strong secrets are accepted", () => {
    expect(loadConfig(strong).JWT_SECRET).toBe(strong.JWT_SECRET);
  });

  const weak: Record<string, string> = {
    "the built-in dev secret": DEV_JWT_SECRET,
    "a change-me placeholder": "change-me-please-0123456789-abcdefghijk",
    "a CHANGE-ME placeholder, any case": "xyzCHANGE-ME0123456789abcdefghijklmnop",
    "31 bytes": "Zq8vL2mXr4TnW9pK0sYb7HcJ3dFg6Ae",
    "fewer than 10 distinct characters": "abcabcabcabcabcabcabcabcabcabcabcabc1234",
  };
  for (const name of ["JWT_SECRET", "PUBLISH_API_KEY", "PAYMENTS_WEBHOOK_SECRET", "METRICS_TOKEN"] as const) {
    for (const [what, value] of Object.entries(weak)) {
      test(`${name}: ${what} is refused with one line naming the variable`, () => {
        const msg = refusal({ ...strong, [name]: value });
        expect(msg).toContain(name);
        expect(msg).not.toContain("\n");
        // The value itself is never echoed.
        expect(msg).not.toContain(value);
      });
    }
  }

  test("JWT_SECRET is required in production; the optional secrets may be left unset", () => {
    expect(refusal({ ...strong, JWT_SECRET: undefined })).toContain("JWT_SECRET");
    expect(refusal({ ...strong, PUBLISH_API_KEY: undefined, PAYMENTS_WEBHOOK_SECRET: undefined, METRICS_TOKEN: undefined })).toBe("accepted");
  });

  test("outside production the dev secret and short test secrets still load", () => {
    expect(loadConfig({}).JWT_SECRET).toBe(DEV_JWT_SECRET);
    expect(refusal({ NODE_ENV: "test", JWT_SECRET: "a-16-char-secret", PUBLISH_API_KEY: "a-16-char-apikey" })).toBe("accepted");
  });
});

describe("DEMO", () => {
  test("off unless DEMO=true", () => {
    expect(loadConfig({}).DEMO).toBe(false);
    expect(loadConfig({ DEMO: "true" }).DEMO).toBe(true);
  });
  test("DEMO=true in production stops the start", () => {
    expect(refusal({ ...strong, DEMO: "true" })).toContain("DEMO");
    expect(loadConfig({ ...strong, DEMO: "false" }).DEMO).toBe(false);
  });
});

describe("JWT_MAX_AGE", () => {
  test("seconds, default 24 h; a non-positive or non-integer value is refused", () => {
    expect(loadConfig({}).JWT_MAX_AGE).toBe(86_400);
    expect(loadConfig({ JWT_MAX_AGE: "3600" }).JWT_MAX_AGE).toBe(3600);
    for (const bad of ["0", "-5", "1.5", "24h"]) expect(refusal({ JWT_MAX_AGE: bad })).toContain("JWT_MAX_AGE");
  });
});

describe("identity-provider keys (JWT_JWKS_URL, JWT_PUBLIC_KEYS)", async () => {
  const { exportJWK, exportSPKI, generateKeyPair } = await import("jose");
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  const pem = await exportSPKI(publicKey);
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: "k1" }] });
  const privateJwk = JSON.stringify(await exportJWK(privateKey));
  const { JWT_SECRET: _s, ...noSecret } = strong;

  test("with a key set, production needs no JWT_SECRET and none is made up", () => {
    expect(loadConfig({ ...noSecret, JWT_JWKS_URL: "https://idp.example.com/.well-known/jwks.json" }).JWT_SECRET).toBeUndefined();
    expect(loadConfig({ ...noSecret, JWT_PUBLIC_KEYS: pem }).JWT_PUBLIC_KEYS).toHaveLength(1);
    expect(loadConfig({ JWT_PUBLIC_KEYS: jwks }).JWT_SECRET).toBeUndefined();
    // Without a key set, outside production, the dev secret still stands in.
    expect(loadConfig({}).JWT_SECRET).toBe(DEV_JWT_SECRET);
  });

  test("the built-in dev secret is never accepted beside a key set, in any mode", () => {
    expect(refusal({ JWT_SECRET: DEV_JWT_SECRET, JWT_PUBLIC_KEYS: jwks })).toContain("JWT_SECRET");
    expect(refusal({ NODE_ENV: "test", JWT_SECRET: DEV_JWT_SECRET, JWT_JWKS_URL: "http://127.0.0.1:1/jwks" })).toContain("JWT_SECRET");
  });

  test("a bad key set, a private key or a plain-http JWKS in production stops the start, naming the variable", () => {
    expect(refusal({ JWT_PUBLIC_KEYS: "not a key" })).toContain("JWT_PUBLIC_KEYS");
    const msg = refusal({ JWT_PUBLIC_KEYS: privateJwk });
    expect(msg).toContain("JWT_PUBLIC_KEYS");
    expect(msg).not.toContain(JSON.parse(privateJwk).d);
    expect(refusal({ ...noSecret, JWT_JWKS_URL: "http://idp.example.com/jwks" })).toContain("JWT_JWKS_URL");
    expect(refusal({ JWT_JWKS_URL: "ftp://idp.example.com/jwks" })).toContain("JWT_JWKS_URL");
  });

  test("claim names default to today's, JWT_DEFAULT_TENANT is unset by default", () => {
    const c = loadConfig({});
    expect([c.JWT_TENANT_CLAIM, c.JWT_ROLES_CLAIM, c.JWT_NAME_CLAIM, c.JWT_DEFAULT_TENANT]).toEqual(["tenantId", "roles", "name", undefined]);
    expect(loadConfig({ JWT_ROLES_CLAIM: "realm_access.roles" }).JWT_ROLES_CLAIM).toBe("realm_access.roles");
  });
});

describe("PUBLISH_API_KEYS", () => {
  const k1 = "pk_A9fK2mQ7xLw4RtZ8vNc3BhY6jS1dGa0Pe";
  const k2 = "pk_B4Hq9Lz2Xw7Kc3Vn8Bm1Rt6Yp5Js0Gd==";
  test("key=tenant|tenant and key=* entries; the last = splits, so base64 keys with padding work", () => {
    expect(loadConfig({ PUBLISH_API_KEYS: `${k1}=acme|acme-eu, ${k2}=*` }).PUBLISH_API_KEYS).toEqual([
      { key: k1, tenants: ["acme", "acme-eu"] },
      { key: k2, tenants: "*" },
    ]);
    expect(loadConfig({}).PUBLISH_API_KEYS).toEqual([]);
  });
  test("malformed entries, short or repeated keys stop the start without echoing a key", () => {
    for (const bad of [`${k1}`, `${k1}=`, `=acme`, `short=acme`, `${k1}=a,${k1}=b`, `${k1}=*|acme`, `${k1}=a||b`]) {
      const msg = refusal({ PUBLISH_API_KEYS: bad });
      expect(msg).toContain("PUBLISH_API_KEYS");
      expect(msg).not.toContain(k1);
    }
    expect(refusal({ PUBLISH_API_KEY: k1, PUBLISH_API_KEYS: `${k1}=acme` })).toContain("PUBLISH_API_KEYS");
  });
  test("in production every key must be strong", () => {
    expect(refusal({ ...strong, PUBLISH_API_KEYS: `${k1}=acme,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=b` })).toContain("PUBLISH_API_KEYS: entry 2");
    expect(refusal({ ...strong, PUBLISH_API_KEYS: `${k1}=acme` })).toBe("accepted");
  });
});

describe("TENANT_LIMITS", () => {
  test("defaults plus per-tenant overrides; a bad shape stops the start naming the variable", () => {
    const c = loadConfig({ TENANT_LIMITS: '{"acme":{"connections":5,"syncRooms":7}}' });
    expect(c.TENANT_LIMITS).toEqual({ acme: { connections: 5, syncRooms: 7 } });
    expect([c.TENANT_MAX_CONNECTIONS, c.TENANT_RATE_MESSAGES, c.TENANT_MAX_SYNC_ROOMS, c.TENANT_METRICS_TOP]).toEqual([10_000, 60_000, 1_000, 20]);
    for (const bad of ["{", '{"acme":{"connections":0}}', '{"acme":{"conections":5}}', '{"acme":5}', "[1]"]) {
      expect(refusal({ TENANT_LIMITS: bad })).toContain("TENANT_LIMITS");
    }
  });
});

describe("a refused configuration at start-up", () => {
  const ROOT = new URL("../../../", import.meta.url).pathname;
  for (const main of ["apps/all-in-one/src/main.ts", "apps/gateway/src/main.ts", "apps/chat/src/main.ts"]) {
    test(`${main}: exits 1 with one line naming the variable, no stack trace`, async () => {
      const proc = Bun.spawn(["bun", "run", main], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, NODE_ENV: "production", JWT_SECRET: "change-me-change-me-change-me-change-me" },
        stdout: "pipe",
        stderr: "pipe",
      });
      const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
      expect(code).toBe(1);
      const lines = (out + err).trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain("JWT_SECRET");
      expect(lines[0]).not.toContain("change-me-change-me");
    }, 20_000);
  }
});

describe("OTEL_* (tracing)", () => {
  test("off unless OTEL_TRACES_EXPORTER=otlp; headers are key=value pairs, values URL-decoded", () => {
    expect(loadConfig({}).OTEL_TRACES_EXPORTER).toBe("none");
    const c = loadConfig({ OTEL_TRACES_EXPORTER: "otlp", OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=a%3Db, tenant=t1" });
    expect(c.OTEL_EXPORTER_OTLP_HEADERS).toEqual({ "x-api-key": "a=b", tenant: "t1" });
    expect(c.OTEL_EXPORTER_OTLP_ENDPOINT).toBe("http://localhost:4318");
  });
  test("a malformed header list, an unknown exporter or a ratio past 1 stops start-up", () => {
    expect(refusal({ OTEL_EXPORTER_OTLP_HEADERS: "novalue" })).toContain("OTEL_EXPORTER_OTLP_HEADERS");
    expect(refusal({ OTEL_TRACES_EXPORTER: "jaeger" })).toContain("OTEL_TRACES_EXPORTER");
    expect(refusal({ OTEL_TRACES_SAMPLER_ARG: "2" })).toContain("OTEL_TRACES_SAMPLER_ARG");
  });
});
