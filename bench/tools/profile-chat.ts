/**
 * Profile the platform under scenario 3: start it with `bun --cpu-prof-md`, run the chat load once,
 * stop it (the profile is written on exit) and print the top self-time functions.
 *   bun bench/tools/profile-chat.ts [embedded|real] [rate]   → /tmp/rt-bench-prof/chat-<mode>.md
 * GATEWAY_TOPIC_FANOUT=0 in the environment profiles the gateway without its topic fan-out.
 */
import { cfg } from "../lib/config.ts";
import { runChat, setupChat } from "../lib/chat.ts";
import { profileSide } from "./cpu-profile.ts";

const mode = process.argv[2] === "real" ? "real" : "embedded";
const rate = Number(process.argv[3] ?? cfg.chat.rate);
const fanoutOff = process.env.GATEWAY_TOPIC_FANOUT === "0";
await profileSide(
  {
    kind: mode === "real" ? "platform-real" : "platform-embedded",
    name: `chat-${mode}${fanoutOff ? "-fanout-off" : ""}.md`,
    env: fanoutOff ? { GATEWAY_TOPIC_FANOUT: "0" } : {},
    workers: cfg.chat.workers,
    headChars: 400,
    hotChars: 6000,
  },
  async (side, workers) => {
    const setup = await setupChat(side, workers, cfg.chat.sockets, cfg.chat.roomSize, "prof");
    const r = await runChat(setup, workers, { ...cfg.chat, rate });
    console.log(
      `chat ${mode}: p50 ${r.p50.toFixed(1)} p99 ${r.p99.toFixed(1)} ms, sent ${r.sent} acked ${r.acked} delivered ${r.delivered}/${r.expected}, cpu ${JSON.stringify(r.cpu)}`,
    );
    console.log("slow messages [send at ms, latency ms]:", JSON.stringify(r.slow.slice(0, 80)));
  },
);
