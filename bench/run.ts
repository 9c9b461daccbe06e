/**
 * `bun run bench` runs every scenario; `bun run bench -- <name> [<name>…]` runs some
 * (idle, fanout, chat, throughput, coldstart, growth, presence — or 1…7). BENCH_QUICK=1: small sizes.
 * Prints the table, writes bench/results/<date>.md, and after a full run refreshes the table and
 * the growth chart in bench/README.md.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cfg, QUICK } from "./lib/config.ts";
import type { Ctx, GrowthPoint } from "./lib/context.ts";
import { hardFdLimit, ROOT } from "./lib/proc.ts";
import { growthSvg, renderTable } from "./lib/report.ts";
import { cleanupDatabase } from "./lib/chat.ts";
import { label, quietLog, type SideKind } from "./lib/servers.ts";
import { idle } from "./scenarios/idle.ts";
import { fanout } from "./scenarios/fanout.ts";
import { chat } from "./scenarios/chat.ts";
import { throughput } from "./scenarios/throughput.ts";
import { coldstart } from "./scenarios/coldstart.ts";
import { growth } from "./scenarios/growth.ts";
import { presence } from "./scenarios/presence.ts";

const scenarios = { idle, fanout, chat, throughput, coldstart, growth, presence } as const;
type Name = keyof typeof scenarios;
const order = Object.keys(scenarios) as Name[];

const args = process.argv.slice(2).filter((a) => a !== "--");
const picked: Name[] = args.length
  ? args.map((a) => {
      const n = /^\d$/.test(a) ? order[Number(a) - 1] : (a as Name);
      if (!n || !(n in scenarios)) throw new Error(`unknown scenario "${a}"; one of ${order.join(", ")}`);
      return n;
    })
  : order;
const all = picked.length === order.length;

const started = performance.now();
const stamp = () => `[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s]`;
const ctx: Ctx = { rows: [], notes: [], raw: {}, log: (m) => console.log(`${stamp()} ${m}`) };

const machine = `${navigator.hardwareConcurrency} cores, ${(require("node:os").totalmem() / 2 ** 30).toFixed(0)} GB, bun ${Bun.version}, ${Bun.spawnSync(["node", "--version"]).stdout.toString().trim()} (node)`;
ctx.log(`bench: ${picked.join(", ")}${QUICK ? " (quick)" : ""}; ${machine}; fd limit for children ${hardFdLimit()}`);

const failures: string[] = [];
await cleanupDatabase().catch(() => {});
try {
  for (const name of picked) {
    const t0 = performance.now();
    try {
      await scenarios[name](ctx);
    } catch (err) {
      failures.push(`${name}: ${(err as Error).message}`);
      ctx.log(`${name} FAILED: ${(err as Error).stack}`);
    }
    ctx.log(`${name} took ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
} finally {
  await cleanupDatabase().catch(() => {});
}

const totalS = (performance.now() - started) / 1000;
ctx.raw.machineBusyBeforeEachSide = quietLog;
const table = renderTable(ctx.rows);
console.log(`\n${table}\n\ntotal ${totalS.toFixed(0)} s${failures.length ? `; failed: ${failures.join("; ")}` : ""}`);

/** Raw figures without per-message samples; numbers rounded to 2 decimals. */
function compact(_k: string, v: unknown) {
  if (Array.isArray(v) && v.length > 20) return `[${v.length} samples]`;
  return typeof v === "number" ? Math.round(v * 100) / 100 : v;
}

const date = new Date().toISOString().slice(0, 10);
const suffix = `${all ? "" : `-${picked.join("-")}`}${QUICK ? "-quick" : ""}`;
const file = join(ROOT, "bench/results", `${date}${suffix}.md`);
let svg: string | undefined;
if (ctx.growth?.length) {
  const colors: Record<string, string> = { "platform-real": "#1f77b4", "platform-embedded": "#2ca02c", "baseline-node": "#d62728", "baseline-bun": "#ff7f0e" };
  const sides = [...new Set(ctx.growth.map((g) => g.side))] as SideKind[];
  const series = (f: (g: GrowthPoint) => number) =>
    sides.map((s) => ({ name: label[s], color: colors[s]!, points: ctx.growth!.filter((g) => g.side === s).map((g) => ({ x: g.sockets, y: f(g) })) }));
  const cpuSeries = [
    ...series((g) => g.cpu),
    ...series((g) => g.cpuTotal).map((x, i) => ({
      ...x,
      name: `${x.name}${sides[i] === "platform-real" ? " + NATS + Postgres" : sides[i] === "platform-embedded" ? " (one process)" : " + Postgres"}`,
      dashed: true,
    })),
  ];
  svg = growthSvg([
    { title: "p99 emit → last member (ms, log scale)", yLabel: "ms", log: true, series: series((g) => g.p99) },
    { title: "CPU (% of one core; 2 cores = 200)", yLabel: "% CPU", series: cpuSeries },
  ]);
  writeFileSync(file.replace(/\.md$/, "-growth.svg"), svg);
}
const md = [
  `# Benchmark run ${new Date().toISOString()}${QUICK ? " (quick)" : ""}`,
  "",
  `Machine: ${machine}. Scenarios: ${picked.join(", ")}. Total ${totalS.toFixed(0)} s.`,
  "",
  table,
  "",
  failures.length ? `Failed: ${failures.join("; ")}\n` : "",
  svg ? `![growth](${file.split("/").pop()!.replace(/\.md$/, "-growth.svg")})\n` : "",
  "Sizes:",
  "",
  "```json",
  JSON.stringify(Object.fromEntries(picked.map((n) => [n, cfg[n]])), null, 1),
  "```",
  "",
  "Raw figures:",
  "",
  "```json",
  JSON.stringify(ctx.raw, compact, 1),
  "```",
  "",
].join("\n");
writeFileSync(file, md);
console.log(`wrote ${file}`);

if (all && !QUICK && failures.length === 0) {
  const readme = join(ROOT, "bench/README.md");
  if (existsSync(readme)) {
    const text = readFileSync(readme, "utf8");
    const block = `<!-- bench:table:start -->\nFrom \`bun run bench\` on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC (${machine}; total ${totalS.toFixed(0)} s; file \`results/${file.split("/").pop()}\`):\n\n${table}\n<!-- bench:table:end -->`;
    writeFileSync(readme, text.replace(/<!-- bench:table:start -->[\s\S]*<!-- bench:table:end -->/, block));
    if (svg) writeFileSync(join(ROOT, "bench/growth.svg"), svg);
    console.log("updated bench/README.md and bench/growth.svg");
  }
}
process.exit(failures.length ? 1 : 0);
