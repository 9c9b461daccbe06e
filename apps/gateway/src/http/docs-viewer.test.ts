import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asyncApiViewer } from "./docs-viewer.ts";

/**
 * The viewer's files are found one way (the package in node_modules, resolved from the gateway's
 * code); where they are absent /docs/asyncapi says so instead of a blank page or a crash.
 */
const roots: string[] = [];
/** A folder to resolve from: an empty node_modules (so nothing is found above it), optionally the package with some of its files. */
function installation(files: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), "rt-viewer-"));
  roots.push(root);
  mkdirSync(join(root, "node_modules"));
  for (const [f, text] of Object.entries(files)) {
    const path = join(root, "node_modules/@asyncapi/react-component", f);
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, text);
  }
  return root;
}
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

const warnings: unknown[] = [];
const log = { warn: (o: unknown, msg: string) => warnings.push([o, msg]) };

test("the viewer's bundle and stylesheet are served from the installed package", async () => {
  const app = asyncApiViewer({ log });
  const js = await app.request("/asyncapi.js");
  expect(js.status).toBe(200);
  expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
  expect((await js.bytes()).length).toBeGreaterThan(1_000_000);
  const css = await app.request("/asyncapi.css");
  expect(css.status).toBe(200);
  expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
  expect((await app.request("/")).status).toBe(200);
  expect((await app.request("/other.js")).status).toBe(404);
  expect(warnings).toEqual([]);
});

test("package not installed: every /docs/asyncapi path answers 503 UNAVAILABLE naming the package, and the gateway warns once at start", async () => {
  warnings.length = 0;
  const app = asyncApiViewer({ from: installation(), log });
  for (const path of ["/", "/asyncapi.js", "/asyncapi.css"]) {
    const res = await app.request(path);
    expect({ path, status: res.status }).toEqual({ path, status: 503 });
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("UNAVAILABLE");
    expect(body.error.message).toContain("@asyncapi/react-component is not installed");
  }
  expect(warnings).toHaveLength(1);
});

test("package there but its bundle missing: 503 naming the missing file", async () => {
  warnings.length = 0;
  const app = asyncApiViewer({ from: installation({ "package.json": '{"name":"@asyncapi/react-component"}', "styles/default.min.css": "" }), log });
  const res = await app.request("/asyncapi.js");
  expect(res.status).toBe(503);
  const { error } = (await res.json()) as { error: { code: string; message: string } };
  expect(error.message).toContain("browser/standalone/index.js");
  expect(error.message).not.toContain("default.min.css");
  expect(warnings).toHaveLength(1);
});
