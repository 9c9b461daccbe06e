import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { Glob } from "bun";
import { README_PATH, readmeText } from "../../../scripts/docs.ts";
import { configVariables } from "./config-doc.ts";
import { loadConfig } from "./config.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;

describe("configuration reference", () => {
  test("the README's Configuration table is what the config schema makes now (run `bun run docs`)", () => {
    expect(readFileSync(README_PATH, "utf8")).toBe(readmeText());
  });

  test("every variable of the schema has a meaning and a default a reader can see", () => {
    for (const v of configVariables()) {
      expect(v.description.length, v.name).toBeGreaterThan(10);
      expect(v.default.length, v.name).toBeGreaterThan(0);
    }
  });

  test("no app or package reads the environment except through the config schema", () => {
    // Test-only code (testkit, *.test.ts) picks its own services; everything an app reads is config.
    const readers: string[] = [];
    for (const file of new Glob("{apps,packages}/*/src/**/*.ts").scanSync({ cwd: ROOT })) {
      if (file.startsWith("packages/testkit/") || file.endsWith(".test.ts") || file === "packages/service-kit/src/config.ts") continue;
      // Handing the whole environment to the config loader (main.ts) is fine; picking a variable is not.
      if (/\b(process\.env|Bun\.env|import\.meta\.env)\s*(\.|\[|\?\.)/.test(readFileSync(ROOT + file, "utf8"))) readers.push(file);
    }
    expect(readers).toEqual([]);
  });

  test("GATEWAY_TOPIC_FANOUT is config: on by default, `false`/`0` off, anything else refused at start", () => {
    expect(loadConfig({}).GATEWAY_TOPIC_FANOUT).toBe(true);
    expect(loadConfig({ GATEWAY_TOPIC_FANOUT: "false" }).GATEWAY_TOPIC_FANOUT).toBe(false);
    expect(loadConfig({ GATEWAY_TOPIC_FANOUT: "0" }).GATEWAY_TOPIC_FANOUT).toBe(false);
    expect(() => loadConfig({ GATEWAY_TOPIC_FANOUT: "maybe" })).toThrow(/GATEWAY_TOPIC_FANOUT/);
  });
});
