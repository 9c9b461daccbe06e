/** Scenario 5: cold start of `bun run dev` (in-memory PGlite, and a fresh PGlite folder) to 200 on /ready. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cfg } from "../lib/config.ts";
import type { Ctx } from "../lib/context.ts";
import { freePort } from "@rt/testkit/ports"; // just the helper, not the whole in-process platform
import { killTree, ROOT, sleep, until } from "../lib/proc.ts";
import { DATABASE_URL, SECRET } from "../lib/servers.ts";
import { median } from "../lib/stats.ts";

async function once(cmd: string[], env: Record<string, string>): Promise<number> {
  const port = freePort();
  const t0 = performance.now();
  const proc = Bun.spawn(cmd, {
    cwd: ROOT,
    env: { ...process.env, NATS_URL: "", DATABASE_URL: "", ...env, PORT: String(port), LOG_LEVEL: "warn" },
    stdout: "ignore",
    stderr: "ignore",
  });
  try {
    const ok = await until(async () => (await fetch(`http://127.0.0.1:${port}/ready`)).ok, 30_000, 5);
    if (!ok) throw new Error(`${cmd.join(" ")} not ready in 30 s`);
    return performance.now() - t0;
  } finally {
    killTree(proc.pid);
    await Promise.race([proc.exited, sleep(5000)]);
    killTree(proc.pid, "SIGKILL");
  }
}

export async function coldstart(ctx: Ctx) {
  const runs = cfg.coldstart.runs;
  ctx.log(`coldstart: ${runs} run(s) each`);
  const mem: number[] = [];
  const dir: number[] = [];
  const base: number[] = [];
  const baseBun: number[] = [];
  for (let i = 0; i < runs; i++) {
    mem.push(await once(["bun", "run", "dev"], { PGLITE_DIR: "memory" }));
    const d = mkdtempSync(join(tmpdir(), "rt-bench-pglite-"));
    try {
      dir.push(await once(["bun", "run", "dev"], { PGLITE_DIR: d }));
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
    base.push(await once(["node", "bench/baseline/server.mjs"], { JWT_SECRET: SECRET, DATABASE_URL }));
    baseBun.push(await once(["bun", "bench/baseline/server.mjs"], { JWT_SECRET: SECRET, DATABASE_URL }));
  }
  const m = median(mem) / 1000;
  const d = median(dir) / 1000;
  ctx.log(
    `  bun run dev (memory) ${mem.map((x) => x.toFixed(0)).join(", ")} ms; fresh dir ${dir.map((x) => x.toFixed(0)).join(", ")} ms; baseline node ${base.map((x) => x.toFixed(0)).join(", ")} ms, bun ${baseBun.map((x) => x.toFixed(0)).join(", ")} ms`,
  );
  ctx.raw.coldstart = { memoryMs: mem, freshDirMs: dir, baselineNodeMs: base, baselineBunMs: baseBun };
  ctx.rows.push(
    {
      scenario: "5 cold start",
      metric: "`bun run dev` → /ready, s (PGLITE_DIR=memory)",
      platformEmbedded: m,
      baselineNode: median(base) / 1000,
      baselineBun: median(baseBun) / 1000,
      digits: 2,
      ratio: m / (median(base) / 1000),
      target: "≤ 3 s",
      status: m <= 3 ? "met" : "missed",
    },
    { scenario: "5 cold start", metric: "`bun run dev` → /ready, s (fresh PGlite dir)", platformEmbedded: d, digits: 2, target: "≤ 3 s", status: d <= 3 ? "met" : "missed" },
  );
}
