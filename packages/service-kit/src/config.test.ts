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
