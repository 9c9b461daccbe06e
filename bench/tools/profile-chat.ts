/**
 * Profile the platform under scenario 3: start it with `bun --cpu-prof-md`, run the chat load once,
 * stop it (the profile is written on exit) and print the top self-time functions.
 *   bun bench/tools/profile-chat.ts [embedded|real] [rate]   → /tmp/rt-bench-prof/chat-<mode>.md
 * GATEWAY_TOPIC_FANOUT=0 in the environment profiles the gateway without its topic fan-out.
 */
import { readFileSync, rmSync } from "node:fs";
import { cfg } from "../lib/config.ts";
import { runChat, setupChat } from "../lib/chat.ts";
import { startSide } from "../lib/servers.ts";
import { closeWorkers, spawnWorkers } from "../lib/workers.ts";

const mode = process.argv[2] === "real" ? "real" : "embedded";
const rate = Number(process.argv[3] ?? cfg.chat.rate);
const dir = "/tmp/rt-bench-prof";
const fanoutOff = process.env.GATEWAY_TOPIC_FANOUT === "0";
const name = `chat-${mode}${fanoutOff ? "-fanout-off" : ""}.md`;
rmSync(`${dir}/${name}`, { force: true });
const side = await startSide(mode === "real" ? "platform-real" : "platform-embedded", fanoutOff ? { GATEWAY_TOPIC_FANOUT: "0" } : {}, [
  "--cpu-prof-md",
  `--cpu-prof-dir=${dir}`,
  `--cpu-prof-name=${name}`,
]);
const workers = await spawnWorkers(cfg.chat.workers);
try {
  const setup = await setupChat(side, workers, cfg.chat.sockets, cfg.chat.roomSize, "prof");
  const r = await runChat(setup, workers, { ...cfg.chat, rate });
  console.log(
    `chat ${mode}: p50 ${r.p50.toFixed(1)} p99 ${r.p99.toFixed(1)} ms, sent ${r.sent} acked ${r.acked} delivered ${r.delivered}/${r.expected}, cpu ${JSON.stringify(r.cpu)}`,
  );
  console.log("slow messages [send at ms, latency ms]:", JSON.stringify(r.slow.slice(0, 80)));
} finally {
  await closeWorkers(workers);
  await side.stop(60_000);
}
await Bun.sleep(500);
const md = readFileSync(`${dir}/${name}`, "utf8");
const start = md.indexOf("## Hot Functions");
console.log(md.slice(0, 400));
console.log(md.slice(start, start + 6000));
