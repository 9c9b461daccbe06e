/**
 * `bun run test:battery`: the security and abuse battery (issue 8). Each case runs in its own
 * process (a leak or a crash of one never colours the next), one after the other (they measure
 * latency and memory on a shared machine), under its own deadline. Every line a case prints that
 * starts with `battery: ` is a figure; they are repeated at the end, followed by
 * `battery: N passed, N failed`, and written to test-results/battery.json (the counts alone to
 * test-results/battery-summary.json, which .ci/run adds to its closing line).
 *
 * Env: BATTERY_CASES=1,5,9 picks cases; BATTERY_QUICK=1 runs every case small (about two minutes);
 * BATTERY_<KNOB> sets one size (see each case's header); BATTERY_MODE=nats runs the platform on the
 * machine's NATS + Postgres instead of embedded.
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = join(import.meta.dir, "cases");
const all = readdirSync(dir)
  .filter((f) => /^\d+-.*\.ts$/.test(f))
  .sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
const picked = process.env.BATTERY_CASES?.split(",").map((s) => Number(s.trim()));
const cases = all.filter((f) => !picked || picked.includes(parseInt(f, 10)));

/** Per-case wall-clock ceilings, seconds (the case's own deadline is shorter; this catches a hang). */
const soakS = Number(process.env.BATTERY_SOAK_SECONDS ?? (process.env.BATTERY_QUICK === "1" ? 20 : 300));
const ceiling = (file: string) => (parseInt(file, 10) === 9 ? soakS + 150 : 240);

const figures: string[] = [];
const results: Array<{ case: string; ok: boolean; seconds: number }> = [];
const started = performance.now();

for (const file of cases) {
  const name = file.replace(/\.ts$/, "");
  console.log(`\n=== battery case ${name} ===`);
  const t0 = performance.now();
  const proc = Bun.spawn(["bun", "run", join(dir, file)], { stdout: "pipe", stderr: "pipe", env: process.env });
  const killer = setTimeout(() => {
    console.log(`battery: ${name} FAIL: killed after ${ceiling(file)} s`);
    figures.push(`${name} FAIL: killed after ${ceiling(file)} s`);
    proc.kill("SIGKILL");
  }, ceiling(file) * 1000);
  const pump = async (stream: ReadableStream<Uint8Array>, out: NodeJS.WriteStream) => {
    const dec = new TextDecoder();
    let buf = "";
    const reader = stream.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      const chunk = r.value;
      const s = dec.decode(chunk, { stream: true });
      out.write(s);
      buf += s;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith("battery: ")) figures.push(line.slice("battery: ".length));
      }
    }
  };
  await Promise.all([pump(proc.stdout, process.stdout), pump(proc.stderr, process.stderr)]);
  const code = await proc.exited;
  clearTimeout(killer);
  const seconds = Math.round((performance.now() - t0) / 100) / 10;
  results.push({ case: name, ok: code === 0, seconds });
}

const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
const total = Math.round((performance.now() - started) / 1000);
console.log(`\n=== battery figures (${total} s) ===`);
for (const f of figures) console.log(`battery: ${f}`);
for (const r of results) console.log(`battery: ${r.case} ${r.ok ? "passed" : "FAILED"} in ${r.seconds} s`);
console.log(`battery: ${passed} passed, ${failed} failed`);
mkdirSync("test-results", { recursive: true });
writeFileSync("test-results/battery.json", JSON.stringify({ passed, failed, seconds: total, results, figures }, null, 2));
// What .ci/run reads (one line, two numbers).
writeFileSync("test-results/battery-summary.json", JSON.stringify({ passed, failed }));
process.exit(failed > 0 || passed === 0 ? 1 : 0);
