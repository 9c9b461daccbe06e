import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";

/** `bun run dev` on a port another process holds: one clear line naming PORT, before PGlite boots. */
const MAIN = join(import.meta.dir, "main.ts");
let holder: ReturnType<typeof Bun.serve>;
beforeAll(() => {
  holder = Bun.serve({ port: 0, fetch: () => new Response("taken") });
});
afterAll(() => holder.stop(true));

// The embedded platform (what a newcomer runs): no NATS_URL / DATABASE_URL.
const { NATS_URL: _n, DATABASE_URL: _d, ...env } = process.env;

test("a busy PORT stops `bun run dev` at once with one line naming PORT, no stack trace", async () => {
  const started = performance.now();
  const proc = Bun.spawn(["bun", "run", MAIN], {
    env: { ...env, PORT: String(holder.port), PGLITE_DIR: "memory", LOG_LEVEL: "info" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect(code).toBe(1);
  const lines = err.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`port ${holder.port} is already in use`);
  expect(lines[0]).toContain("PORT=");
  expect(err + out).not.toMatch(/\n\s+at /);
  expect(out).not.toContain("pglite");
  expect(performance.now() - started).toBeLessThan(10_000);
}, 30_000);
