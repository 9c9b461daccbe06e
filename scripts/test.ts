/**
 * `bun run test`: the whole suite in each mode — embedded (in-process bus + PGlite), against the
 * machine's NATS + Postgres, and against a cluster of separate processes (2 gateways, 2 replicas of
 * every service) — then, in the full/cluster run, the fault tests of test/cluster (they restart
 * NATS and Postgres, so they run last and alone), and one closing line `N passed, N failed`.
 * Exit 1 on any failure. Extra arguments go to `bun test` (e.g. a path filter) and skip the fault
 * phase; TEST_MODES=embedded,nats picks modes; TEST_FAULTS=0 / 1 forces the fault phase off / on.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { TEST_DATABASE_URL, TEST_NATS_URL } from "../packages/testkit/src/mode.ts";
import { dropNamespace, startCluster, testNamespacesLeft, type Cluster } from "../packages/testkit/src/cluster.ts";
import { CLUSTER_TEST_ENV, platformEnv, type SharedClusterInfo } from "../packages/testkit/src/platform.ts";

const args = process.argv.slice(2);
const modes = (process.env.TEST_MODES ?? "embedded,nats,cluster").split(",");
const faults = process.env.TEST_FAULTS === "1" || (process.env.TEST_FAULTS !== "0" && modes.includes("cluster") && args.length === 0);

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

if (modes.includes("nats") || modes.includes("cluster") || faults) {
  for (const [name, url] of [
    ["NATS", TEST_NATS_URL],
    ["Postgres", TEST_DATABASE_URL],
  ] as const) {
    if (!(await reachable(url))) {
      console.error(`${name} is not reachable at ${url}: start it (see README) — the suite fails rather than skips.`);
      console.log("0 passed, 1 failed");
      process.exit(1);
    }
  }
}

mkdirSync("test-results", { recursive: true });
// CI shows only the tail of a run: each failure's lines are kept here and printed again at the end.
const FAILURES = "test-results/failures.txt";
rmSync(FAILURES, { force: true });

/** The lines of each failed test (bun prints them before its `(fail)` line) and unhandled errors. */
function failureBlocks(text: string): string[] {
  const lines = text.split("\n");
  const blocks: string[] = [];
  const seen = new Set<string>();
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (line.startsWith("(pass)") || line.startsWith("(skip)") || line.startsWith("(todo)")) start = i + 1;
    else if (line.startsWith("(fail)") || line.startsWith("# Unhandled error")) {
      const fail = line.startsWith("(fail)");
      // bun lists the failures again in its summary: each once.
      if (fail && seen.has(line)) continue;
      seen.add(line);
      // After a (fail) line: bun's "^ this test timed out" note.
      let to = i + 1;
      while (fail && to < lines.length && lines[to]?.startsWith("  ^")) to++;
      blocks.push(lines.slice(fail ? Math.max(start, i - 30) : i, fail ? to : Math.min(lines.length, i + 20)).join("\n"));
      start = to;
    }
  }
  return blocks;
}

// What reads TEST_MODE in testkit. Embedded and nats differ for every starter; nats and cluster
// only for socket-level platforms (service harnesses and in-process gateways run as in nats).
// A test file that reaches none of a mode's readers, itself or through its relative imports, runs
// as in the pass before, so that pass skips it.
const MODE_READERS: Record<string, RegExp> = {
  nats: /\b(startPlatform|startServices|servicesForFile|startWithSecondGateway|testMode|usesRealServices)\b/,
  cluster: /\b(startPlatform|testMode|usesRealServices)\b/,
};
function reaches(file: string, readers: RegExp, seen = new Map<string, boolean>()): boolean {
  const known = seen.get(file);
  if (known !== undefined) return known;
  seen.set(file, false);
  const text = readFileSync(file, "utf8");
  const imports = [...text.matchAll(/from\s+["'](\.{1,2}\/[^"']+)["']/g)].map((m) => resolve(dirname(file), m[1] as string));
  const found = readers.test(text) || imports.some((f) => existsSync(f) && reaches(f, readers, seen));
  seen.set(file, found);
  return found;
}
/** The suite's files (bunfig's ignores applied) that run differently in `mode` than in the pass before. */
function filesFor(mode: string): string[] {
  const readers = MODE_READERS[mode];
  if (!readers) throw new Error(`no mode ${mode}`);
  const all = [...new Bun.Glob("**/*.test.{ts,tsx}").scanSync({ cwd: ".", onlyFiles: true })];
  const files = all.filter((f) => !f.includes("node_modules/") && !f.startsWith("test/cluster/") && !f.startsWith("test/deploy/"));
  return files.filter((f) => reaches(resolve(f), readers)).map((f) => `./${relative(".", f)}`);
}

/** Run `bun test` with extra env and arguments, echo its output, count its passes and failures. */
async function bunTest(label: string, env: Record<string, string>, testArgs: string[]): Promise<{ p: number; f: number }> {
  console.log(`\n=== bun test (${label}) ===`);
  const started = Date.now();
  const proc = Bun.spawn(["bun", "test", ...testArgs], { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
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
  // A crashed run with no summary still counts as a failure.
  const failedHere = f || (code !== 0 ? 1 : 0);
  console.log(`[${label}] ${p} passed, ${f} failed (exit ${code}) in ${Math.round((Date.now() - started) / 1000)} s`);
  const blocks = failureBlocks(text);
  if (failedHere && !blocks.length) blocks.push(text.split("\n").slice(-30).join("\n"));
  for (const b of blocks) appendFileSync(FAILURES, `--- [${label}]\n${b}\n`);
  return { p, f: failedHere };
}

let passed = 0;
let failed = 0;
for (const mode of modes) {
  const env: Record<string, string> = { TEST_MODE: mode };
  let cluster: Cluster | undefined;
  if (mode === "cluster") {
    // One cluster for the whole cluster-mode run (a cluster per test file is too slow on 2 cores):
    // every startPlatform() of the run reuses it, with a fresh tenant each.
    const t0 = performance.now();
    try {
      cluster = await startCluster({ gateways: 2, replicas: 2, env: CLUSTER_TEST_ENV });
    } catch (err) {
      console.error(`cluster did not start: ${(err as Error).message}`);
      failed += 1;
      continue;
    }
    console.log(`cluster ready in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${cluster.gatewayUrls.join(" ")} (namespace ${cluster.namespace})`);
    const info: SharedClusterInfo = { namespace: cluster.namespace, gatewayUrls: cluster.gatewayUrls, env: platformEnv(cluster.env) };
    env.RT_TEST_CLUSTER = JSON.stringify(info);
  }
  // Integration tests start real servers: 20 s per test, well inside the suite budget.
  // The junit file holds each test's time: where a slow phase spends it.
  const junit = ["--reporter=junit", `--reporter-outfile=test-results/junit-${mode}.xml`];
  // Without a filter, the embedded pass runs every file and the others only what their mode changes.
  const files = args.length === 0 && mode !== "embedded" ? filesFor(mode) : [];
  const r = await bunTest(`TEST_MODE=${mode}`, env, ["--timeout", "20000", ...junit, ...args, ...files]);
  passed += r.p;
  failed += r.f;
  if (cluster) {
    const dead = cluster.processes.filter((p) => !p.alive);
    for (const p of dead) console.error(`cluster process ${p.name} died during the run:\n${p.logTail()}`);
    if (dead.length) failed += 1;
    await cluster.stop();
  }
}

// Streams that failed or killed tests left behind hold JetStream storage reservations; CI runs
// alone on its machine, so it drops them before the fault and deploy phases need room.
if (modes.includes("nats") || modes.includes("cluster")) {
  const left = await testNamespacesLeft(TEST_NATS_URL).catch(() => []);
  if (left.length && process.env.CI) for (const ns of left) await dropNamespace(TEST_NATS_URL, ns).catch(() => {});
  if (left.length) console.log(`${left.length} test namespace(s) left streams on NATS${process.env.CI ? ": dropped" : " (CI drops them)"}`);
}

if (faults) {
  // Last and alone: these restart the machine's NATS and Postgres and start their own clusters.
  const r = await bunTest("fault tests, test/cluster", {}, ["--path-ignore-patterns=__none__", "--timeout", "240000", "test/cluster"]);
  passed += r.p;
  failed += r.f;
}

writeFileSync("test-results/summary.json", JSON.stringify({ passed, failed }));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
