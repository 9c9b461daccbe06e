import { expect, test } from "bun:test";
import { DEV_JWT_SECRET, loadConfig } from "@rt/service-kit";
import { devEnv } from "./dev.ts";

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
