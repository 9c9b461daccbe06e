import { expect, test } from "bun:test";
import { DEV_JWT_SECRET, loadConfig } from "@rt/service-kit";
import { DEV_PUBLISH_API_KEY, DEV_WEBHOOK_SECRET, devBanner, devEnv } from "./dev.ts";

const demoOf = (env: Record<string, string | undefined>) => loadConfig(devEnv(env)).DEMO;

test("`bun run dev` turns the demo console on for itself only with the built-in dev secret", () => {
  expect(demoOf({})).toBe(true);
  expect(demoOf({ JWT_SECRET: DEV_JWT_SECRET })).toBe(true);
  expect(demoOf({ JWT_SECRET: "a-real-secret-0123456789-abcdefgh" })).toBe(false);
  expect(demoOf({ NODE_ENV: "production", JWT_SECRET: "Zq8vL2mXr4TnW9pK0sYb7HcJ3dFg6AeU" })).toBe(false);
  // An explicit choice wins (DEMO=false), and an empty DEMO is "unset".
  expect(demoOf({ DEMO: "false" })).toBe(false);
  expect(demoOf({ DEMO: "" })).toBe(true);
});

test("`bun run dev` gives tenant-less tokens the tenant `default` only in that same dev setup", () => {
  const tenantOf = (env: Record<string, string | undefined>) => loadConfig(devEnv(env)).JWT_DEFAULT_TENANT;
  expect(tenantOf({})).toBe("default");
  expect(tenantOf({ JWT_DEFAULT_TENANT: "acme" })).toBe("acme");
  expect(tenantOf({ JWT_SECRET: "a-real-secret-0123456789-abcdefgh" })).toBeUndefined();
  expect(tenantOf({ NODE_ENV: "production", JWT_SECRET: "Zq8vL2mXr4TnW9pK0sYb7HcJ3dFg6AeU" })).toBeUndefined();
  expect(tenantOf({ JWT_JWKS_URL: "http://127.0.0.1:1/jwks" })).toBeUndefined();
});

test("`bun run dev` enables the publish API and the webhook with dev keys, prints them, and never a key the user set", () => {
  const config = loadConfig(devEnv({}));
  expect(config.PUBLISH_API_KEY).toBe(DEV_PUBLISH_API_KEY);
  expect(config.PAYMENTS_WEBHOOK_SECRET).toBe(DEV_WEBHOOK_SECRET);
  const banner = devBanner(config, 3000).join("\n");
  expect(banner).toContain("http://localhost:3000/docs, http://localhost:3000/demo");
  expect(banner).toContain(`x-api-key: ${DEV_PUBLISH_API_KEY}`);
  expect(banner).toContain("curl -X POST http://localhost:3000/api/publish");
  expect(banner).toContain(DEV_WEBHOOK_SECRET);

  const own = loadConfig(devEnv({ PUBLISH_API_KEY: "my-own-publish-key-0123456789" }));
  expect(own.PUBLISH_API_KEY).toBe("my-own-publish-key-0123456789");
  expect(devBanner(own, 3000).join("\n")).not.toContain("my-own-publish-key");
  // A real JWT secret: nothing is turned on behind the user's back.
  expect(loadConfig(devEnv({ JWT_SECRET: "a-real-secret-0123456789-abcdefgh" })).PUBLISH_API_KEY).toBeUndefined();
});
