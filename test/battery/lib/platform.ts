/**
 * The platform under test, either as a separate process (`bun run apps/all-in-one/src/main.ts`,
 * where crashes, RSS, open fds and log lines matter) or in this process (testkit startPlatform,
 * where a case needs the bus or the database). Embedded mode by default (in-process bus, PGlite in
 * memory): the battery needs nothing from the machine and nobody else's NATS restarts touch it.
 * `BATTERY_MODE=nats` runs both kinds on the machine's NATS + Postgres instead.
 */
import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Subprocess } from "bun";
import { mintToken, type MintOptions } from "@rt/auth";
import { freePort, inheritedEnv, SETPRIV, startPlatform, TEST_DATABASE_URL, TEST_NATS_URL, testNamespace, type TestPlatform } from "@rt/testkit";
import { sleep } from "./common.ts";

export const ROOT = resolve(import.meta.dir, "../../..");
export const JWT_SECRET = "battery-jwt-secret-0123456789abcdef";
export const API_KEY = "battery-publish-key-0123456789-abcdef";
export const WEBHOOK_SECRET = "battery-webhook-secret-0123456789";
const natsMode = () => process.env.BATTERY_MODE === "nats";

export interface LogLine {
  level: number;
  msg?: string;
  raw: string;
}

export interface PlatformProcess {
  url: string;
  wsUrl: string;
  port: number;
  /** The gateway's ops server (/metrics, /health, /ready); it runs in production only. */
  opsUrl: string;
  pid: number;
  /** Resident memory of the platform process, KiB (from /proc/<pid>/status). */
  rssKb(): number;
  /** Open file descriptors of the platform process (/proc/<pid>/fd). */
  fds(): number;
  /** CPU time the platform process used so far, seconds (user + system, /proc/<pid>/stat). */
  cpuSeconds(): number;
  alive(): boolean;
  exitCode(): number | null;
  /** Every log line at warn (40) or above, and any line that is not pino JSON (a crash, a stray print). */
  lines: LogLine[];
  errorLines(): LogLine[];
  token(o: MintOptions): Promise<string>;
  stop(): Promise<void>;
}

const KEEP_LINES = 5000;

/** Start the all-in-one platform as its own process on a free port and wait for /ready. */
export async function spawnPlatform(env: Record<string, string> = {}): Promise<PlatformProcess> {
  const port = freePort();
  const opsPort = freePort();
  const full: Record<string, string> = {
    ...inheritedEnv(),
    NODE_ENV: "development",
    PORT: String(port),
    OPS_PORT: String(opsPort),
    LOG_LEVEL: "warn",
    PGLITE_DIR: "memory",
    JWT_SECRET,
    PUBLISH_API_KEY: API_KEY,
    PAYMENTS_WEBHOOK_SECRET: WEBHOOK_SECRET,
    // Every battery client comes from 127.0.0.1 (the handshake case sets its own limit).
    RATE_LIMIT_HANDSHAKE: "1000000",
    ...(natsMode() ? { NATS_URL: TEST_NATS_URL, DATABASE_URL: TEST_DATABASE_URL, NATS_NAMESPACE: testNamespace() } : {}),
    ...env,
  };
  const proc: Subprocess<"ignore", "pipe", "pipe"> = Bun.spawn([...SETPRIV, "bun", "run", "apps/all-in-one/src/main.ts"], {
    cwd: ROOT,
    env: full,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const lines: LogLine[] = [];
  const take = (raw: string) => {
    if (!raw.trim()) return;
    let level = 60;
    let msg: string | undefined;
    try {
      const j = JSON.parse(raw) as { level?: number; msg?: string };
      level = typeof j.level === "number" ? j.level : 60;
      msg = j.msg;
    } catch {
      // Not pino JSON: an uncaught crash, a runtime warning; counted as an error line.
    }
    if (lines.length < KEEP_LINES) lines.push({ level, msg, raw: raw.slice(0, 2000) });
  };
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    let buf = "";
    const reader = stream.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      const chunk = r.value;
      buf += dec.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        take(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    }
    take(buf);
  };
  void pump(proc.stdout);
  void pump(proc.stderr);

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null)
      throw new Error(
        `platform exited with ${proc.exitCode} at start: ${lines
          .map((l) => l.raw)
          .join("\n")
          .slice(0, 2000)}`,
      );
    try {
      const r = await fetch(`${url}/ready`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error("platform did not become ready within 60 s");
    }
    await sleep(100);
  }

  const pid = proc.pid;
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}`,
    port,
    opsUrl: `http://127.0.0.1:${full.OPS_PORT}`,
    pid,
    rssKb() {
      try {
        const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+)\s+kB/m);
        return m ? Number(m[1]) : NaN;
      } catch {
        return NaN;
      }
    },
    fds() {
      try {
        return readdirSync(`/proc/${pid}/fd`).length;
      } catch {
        return NaN;
      }
    },
    cpuSeconds: () => cpuSecondsOf(pid),
    alive: () => proc.exitCode === null && proc.signalCode === null,
    exitCode: () => proc.exitCode,
    lines,
    errorLines: () => lines.filter((l) => l.level >= 50),
    token: (o) => mintToken(o, { secret: full.JWT_SECRET! }),
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGTERM");
      const done = await Promise.race([proc.exited.then(() => true), sleep(12_000).then(() => false)]);
      if (!done) {
        proc.kill("SIGKILL");
        await proc.exited;
      }
    },
  };
}

/** User + system CPU seconds of a process (clock ticks of 1/100 s on Linux). */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at ") ".
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** The platform in this process (testkit), for cases that use its bus or database. */
export function inProcessPlatform(env: Record<string, string> = {}): Promise<TestPlatform> {
  return startPlatform({ mode: natsMode() ? "nats" : "embedded", env: { JWT_SECRET, ...env } });
}

/** Sample a process's RSS every `everyMs`, keeping the peak. */
export function rssSampler(p: Pick<PlatformProcess, "rssKb">, everyMs = 200) {
  let peak = p.rssKb();
  const samples: number[] = [];
  const timer = setInterval(() => {
    const v = p.rssKb();
    if (Number.isFinite(v)) {
      samples.push(v);
      if (v > peak) peak = v;
    }
  }, everyMs);
  return {
    peak: () => peak,
    samples,
    stop: () => clearInterval(timer),
  };
}
