/**
 * `bun run test`: the whole suite in each mode — embedded (in-process bus + PGlite) and against the
 * machine's NATS + Postgres — then one closing line `N passed, N failed`. Exit 1 on any failure.
 * Extra arguments go to `bun test` (e.g. a path filter).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { TEST_DATABASE_URL, TEST_NATS_URL } from "../packages/testkit/src/mode.ts";

const args = process.argv.slice(2);
const modes = (process.env.TEST_MODES ?? "embedded,nats").split(",");

async function reachable(url: string): Promise<boolean> {
  const u = new URL(url);
  try {
    const sock = await Bun.connect({ hostname: u.hostname, port: Number(u.port), socket: { data() {}, open() {}, error() {} } });
    sock.end();
    return true;
  } catch {
    return false;
  }
}

if (modes.includes("nats")) {
  for (const [name, url] of [["NATS", TEST_NATS_URL], ["Postgres", TEST_DATABASE_URL]] as const) {
    if (!(await reachable(url))) {
      console.error(`${name} is not reachable at ${url}: start it (see README) — the suite fails rather than skips.`);
      console.log("0 passed, 1 failed");
      process.exit(1);
    }
  }
}

let passed = 0;
let failed = 0;
for (const mode of modes) {
  console.log(`\n=== bun test (TEST_MODE=${mode}) ===`);
  // Integration tests start real servers: 20 s per test, well inside the suite budget.
  const proc = Bun.spawn(["bun", "test", "--timeout", "20000", ...args], {
    env: { ...process.env, TEST_MODE: mode },
    stdout: "pipe",
    stderr: "pipe",
  });
  let text = "";
  const pump = async (stream: ReadableStream<Uint8Array>, out: NodeJS.WriteStream) => {
    const dec = new TextDecoder();
    const reader = stream.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      const s = dec.decode(r.value, { stream: true });
      text += s;
      out.write(s);
    }
  };
  await Promise.all([pump(proc.stdout, process.stdout), pump(proc.stderr, process.stderr)]);
  const code = await proc.exited;
  const p = Number(text.match(/^\s*(\d+) pass$/m)?.[1] ?? 0);
  const f = Number(text.match(/^\s*(\d+) fail$/m)?.[1] ?? 0);
  passed += p;
  // A crashed run with no summary still counts as a failure.
  failed += f || (code !== 0 ? 1 : 0);
  console.log(`[${mode}] ${p} passed, ${f} failed (exit ${code})`);
}

mkdirSync("test-results", { recursive: true });
writeFileSync("test-results/summary.json", JSON.stringify({ passed, failed }));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
