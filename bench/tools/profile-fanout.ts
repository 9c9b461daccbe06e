/**
 * Profile the platform under scenario 2 (room fan-out) with `bun --cpu-prof-md` and print the top
 * self-time functions. GATEWAY_TOPIC_FANOUT=0 profiles bun-engine's per-socket path.
 *   bun bench/tools/profile-fanout.ts   → /tmp/rt-bench-prof/fanout[-fanout-off].md
 */
import { readFileSync, rmSync } from "node:fs";
import { cfg } from "../lib/config.ts";
import { startSide } from "../lib/servers.ts";
import { closeWorkers, spawnWorkers } from "../lib/workers.ts";
import { measure } from "../scenarios/fanout.ts";

const dir = "/tmp/rt-bench-prof";
const fanoutOff = process.env.GATEWAY_TOPIC_FANOUT === "0";
const name = `fanout${fanoutOff ? "-fanout-off" : ""}.md`;
rmSync(`${dir}/${name}`, { force: true });
const side = await startSide("platform-embedded", fanoutOff ? { GATEWAY_TOPIC_FANOUT: "0" } : {}, ["--cpu-prof-md", `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`]);
const workers = await spawnWorkers(cfg.fanout.workers);
try {
  await measure(side, workers, { log: console.log });
} finally {
  await closeWorkers(workers);
  await side.stop(60_000);
}
await Bun.sleep(500);
const md = readFileSync(`${dir}/${name}`, "utf8");
const start = md.indexOf("## Hot Functions");
console.log(md.slice(start, start + 3500));
