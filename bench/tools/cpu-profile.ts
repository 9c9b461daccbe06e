import { readFileSync, rmSync } from "node:fs";
import { startSide } from "../lib/servers.ts";
import { closeWorkers, spawnWorkers } from "../lib/workers.ts";

const DIR = "/tmp/rt-bench-prof";
type Side = Awaited<ReturnType<typeof startSide>>;
type Workers = Awaited<ReturnType<typeof spawnWorkers>>;

/**
 * Run `load` against a platform started with Bun's markdown CPU profiler, then print the
 * profile's head (`headChars`) and its hot functions (`hotChars`): what profile-chat and
 * profile-fanout share.
 */
export async function profileSide(
  o: { kind: Parameters<typeof startSide>[0]; name: string; env: Record<string, string>; workers: number; headChars?: number; hotChars: number },
  load: (side: Side, workers: Workers) => Promise<void>,
): Promise<void> {
  rmSync(`${DIR}/${o.name}`, { force: true });
  const side = await startSide(o.kind, o.env, ["--cpu-prof-md", `--cpu-prof-dir=${DIR}`, `--cpu-prof-name=${o.name}`]);
  const workers = await spawnWorkers(o.workers);
  try {
    await load(side, workers);
  } finally {
    await closeWorkers(workers);
    await side.stop(60_000);
  }
  await Bun.sleep(500);
  const md = readFileSync(`${DIR}/${o.name}`, "utf8");
  const start = md.indexOf("## Hot Functions");
  if (o.headChars) console.log(md.slice(0, o.headChars));
  console.log(md.slice(start, start + o.hotChars));
  // PROF_KEEP=1 keeps the whole profile (call trees) for reading.
  if (process.env.PROF_KEEP !== "1") rmSync(`${DIR}/${o.name}`, { force: true });
  else console.log(`profile kept: ${DIR}/${o.name}`);
}
