/**
 * Profile the platform under scenario 2 (room fan-out) with `bun --cpu-prof-md` and print the top
 * self-time functions. GATEWAY_TOPIC_FANOUT=0 profiles bun-engine's per-socket path.
 *   bun bench/tools/profile-fanout.ts   → /tmp/rt-bench-prof/fanout[-fanout-off].md
 */
import { cfg } from "../lib/config.ts";
import { measure } from "../scenarios/fanout.ts";
import { profileSide } from "./cpu-profile.ts";

const fanoutOff = process.env.GATEWAY_TOPIC_FANOUT === "0";
await profileSide(
  {
    kind: "platform-embedded",
    name: `fanout${fanoutOff ? "-fanout-off" : ""}.md`,
    env: fanoutOff ? { GATEWAY_TOPIC_FANOUT: "0" } : {},
    workers: cfg.fanout.workers,
    hotChars: 3500,
  },
  async (side, workers) => {
    await measure(side, workers, { log: console.log });
  },
);
