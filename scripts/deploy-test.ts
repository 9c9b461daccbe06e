/**
 * `bun run deploy:test`: the deployment path for real. Fails (never skips) when Docker does not
 * answer; builds the local base image (deploy/base-image.sh, cached by its inputs), then runs
 * test/deploy (the split stack as containers, then docker-compose.yml with deploy/compose.ci.yml).
 * Writes test-results/deploy-summary.json ({ passed, failed }) for .ci/run and prints the times.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const t0 = Date.now();
const secs = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
mkdirSync(`${ROOT}/test-results`, { recursive: true });
const junit = `${ROOT}/test-results/deploy-junit.xml`;
rmSync(junit, { force: true });

function finish(passed: number, failed: number): never {
  writeFileSync(`${ROOT}/test-results/deploy-summary.json`, JSON.stringify({ passed, failed }));
  console.log(`deploy: ${passed} passed, ${failed} failed in ${secs(Date.now() - t0)}`);
  process.exit(failed > 0 ? 1 : 0);
}

const step = (cmd: string[]) => Bun.spawn(cmd, { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] }).exited;

if ((await step(["docker", "info", "--format", "docker engine {{.ServerVersion}}, storage {{.Driver}}"])) !== 0) {
  console.error("deploy: the Docker engine does not answer (start dockerd: see .ci/run)");
  finish(0, 1);
}

const b0 = Date.now();
if ((await step(["bash", "deploy/base-image.sh"])) !== 0) {
  console.error("deploy: the base image could not be built");
  finish(0, 1);
}
console.log(`deploy: base image ready in ${secs(Date.now() - b0)}`);

const code = await step(["bun", "test", "--path-ignore-patterns=__none__", "--timeout", "300000", "--reporter=junit", `--reporter-outfile=${junit}`, "test/deploy"]);
let passed = 0;
let failed = 0;
try {
  // The root <testsuites> element carries the totals.
  const head = readFileSync(junit, "utf8").match(/<testsuites[^>]*>/)?.[0] ?? "";
  const attr = (n: string) => Number(head.match(new RegExp(`\\b${n}="(\\d+)"`))?.[1] ?? 0);
  failed = attr("failures") + attr("errors") + attr("skipped");
  passed = attr("tests") - failed;
} catch {}
// Images of earlier runs that this run's tags replaced (only those built on the local base, which
// carry its label): without this each run on a kept machine would leave ~200 MB behind.
await step(["docker", "image", "prune", "-f", "--filter", "label=realtime.base.inputs"]);
// A crash before any result, or a skipped test, is a failure here: this phase skips nothing.
if (code !== 0 && failed === 0) failed = 1;
if (passed === 0 && failed === 0) failed = 1;
finish(passed, failed);
