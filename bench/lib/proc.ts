/** Child processes of the harness: servers with a raised fd limit, /proc readings, bounded waits. */
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";

export const ROOT = join(import.meta.dir, "../..");
export const LOG_DIR = process.env.BENCH_LOG_DIR ?? "/tmp/rt-bench-logs";
mkdirSync(LOG_DIR, { recursive: true });

/** Wanted open-file limit for servers and workers (root may raise the hard limit too). */
export const NOFILE = Number(process.env.BENCH_NOFILE ?? 200_000);

/** The fd limit a child actually gets: `ulimit -n` inside a shell before exec. */
export function fdLimitPrefix(): string[] {
  return ["sh", "-c", `ulimit -n ${NOFILE} 2>/dev/null || ulimit -n $(ulimit -Hn); exec "$@"`, "sh"];
}

export function hardFdLimit(): number {
  const r = Bun.spawnSync(["sh", "-c", `ulimit -n ${NOFILE} 2>/dev/null || ulimit -n $(ulimit -Hn); ulimit -n`]);
  return Number(r.stdout.toString().trim()) || 0;
}

export const sleep = (ms: number) => Bun.sleep(ms);

/** Poll until fn() is truthy or the deadline passes. */
export async function until<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, everyMs = 25): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch {}
    await sleep(everyMs);
  }
  return undefined;
}

export interface Server {
  name: string;
  url: string;
  port: number;
  proc: Subprocess;
  pid: number;
  logFile: string;
  /** SIGTERM, then SIGKILL after graceMs (default 5 s). */
  stop(graceMs?: number): Promise<void>;
}

/** Spawn a server process (fd limit raised), wait for GET /ready. */
export async function spawnServer(o: { name: string; cmd: string[]; env: Record<string, string>; port: number; readyTimeoutMs?: number; cwd?: string }): Promise<Server> {
  const logFile = join(LOG_DIR, `${o.name.replace(/[^a-z0-9]+/gi, "_")}-${Date.now()}.log`);
  const proc = Bun.spawn([...fdLimitPrefix(), ...o.cmd], {
    cwd: o.cwd ?? ROOT,
    env: { ...process.env, ...o.env },
    stdout: Bun.file(logFile),
    stderr: Bun.file(`${logFile}.err`),
  });
  const url = `http://127.0.0.1:${o.port}`;
  const ok = await until(async () => (await fetch(`${url}/ready`)).ok, o.readyTimeoutMs ?? 30_000, 20);
  if (!ok) {
    killTree(proc.pid);
    throw new Error(`${o.name} did not become ready; see ${logFile}(.err)`);
  }
  return {
    name: o.name,
    url,
    port: o.port,
    proc,
    pid: proc.pid,
    logFile,
    async stop(graceMs = 5000) {
      try {
        proc.kill("SIGTERM");
      } catch {}
      const exited = await Promise.race([proc.exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!exited) killTree(proc.pid, "SIGKILL");
    },
  };
}

/** Descendant pids (children first listed after their parent). */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number, depth: number) => {
    if (depth > 10) return;
    let kids: number[] = [];
    try {
      kids = readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {}
    for (const k of kids) {
      out.push(k);
      walk(k, depth + 1);
    }
  };
  walk(pid, 0);
  return out;
}

/** Signal a process and everything it started (by pid, never by name). */
export function killTree(pid: number, sig: NodeJS.Signals = "SIGTERM") {
  for (const p of [...descendants(pid).reverse(), pid]) {
    try {
      process.kill(p, sig);
    } catch {}
  }
}

export function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

const HZ = 100;
/** CPU seconds (user + system) a process has used. */
export function cpuSeconds(pid: number): number {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / HZ;
  } catch {
    return 0;
  }
}

/** Pids whose command name is `comm` (read-only /proc scan, e.g. nats-server, postgres). */
export function pidsByComm(comm: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, "utf8").trim() === comm) out.push(Number(d));
    } catch {}
  }
  return out;
}

/** CPU meter over a window for a set of process groups: % of one core each. */
export function cpuMeter(groups: Record<string, () => number[]>) {
  const take = () => Object.fromEntries(Object.entries(groups).map(([k, f]) => [k, new Map(f().map((p) => [p, cpuSeconds(p)]))]));
  const t0 = performance.now();
  const a = take();
  return () => {
    const b = take();
    const dt = (performance.now() - t0) / 1000;
    const out: Record<string, number> = {};
    for (const k of Object.keys(groups)) {
      let used = 0;
      for (const [p, v] of b[k]!) used += v - (a[k]!.get(p) ?? 0);
      out[k] = (100 * used) / dt;
    }
    return out;
  };
}

/** Whole-machine CPU busy over a window, in % of one core (so 200 = both cores busy); also softirq. */
export function machineMeter() {
  const read = () => {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3]! + f[4]!;
    const total = f.reduce((a, b) => a + b, 0);
    return { idle, total, softirq: f[6]! };
  };
  const a = read();
  const cores = navigator.hardwareConcurrency;
  return () => {
    const b = read();
    const dt = b.total - a.total || 1;
    return { busy: (100 * cores * (dt - (b.idle - a.idle))) / dt, softirq: (100 * cores * (b.softirq - a.softirq)) / dt };
  };
}

/**
 * Wait (bounded) until the machine is quiet: the box is shared, and a test run of someone else
 * would be measured as ours. Returns the busy % (of one core) last seen.
 */
export async function waitQuiet(maxMs: number, thresholdPct = 30): Promise<number> {
  const end = Date.now() + maxMs;
  let busy = 0;
  do {
    const m = machineMeter();
    await sleep(400);
    busy = m().busy;
    if (busy <= thresholdPct) return busy;
  } while (Date.now() < end);
  return busy;
}
