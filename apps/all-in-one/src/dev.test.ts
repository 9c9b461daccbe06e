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
