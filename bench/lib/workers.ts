/** Load generator processes (bench/gen/worker.ts under Bun), driven over IPC. */
import { join } from "node:path";
import type { Subprocess } from "bun";
import { fdLimitPrefix, LOG_DIR, ROOT } from "./proc.ts";

export interface Worker {
  index: number;
  proc: Subprocess;
  call<T = any>(type: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  onProgress?: (m: any) => void;
}

let nextId = 1;

export async function spawnWorkers(n: number): Promise<Worker[]> {
  const out: Worker[] = [];
  for (let i = 0; i < n; i++) {
    const waiting = new Map<number, (m: any) => void>();
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const w: Worker = {
      index: i,
      proc: undefined as never,
      call(type, args = {}, timeoutMs = 120_000) {
        const id = nextId++;
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            waiting.delete(id);
            reject(new Error(`worker ${i}: ${type} timed out after ${timeoutMs} ms`));
          }, timeoutMs);
          waiting.set(id, (m) => {
            clearTimeout(timer);
            if (m.error) reject(new Error(`worker ${i}: ${m.error}`));
            else resolve(m);
          });
          w.proc.send({ id, type, ...args });
        });
      },
    };
    w.proc = Bun.spawn([...fdLimitPrefix(), "bun", join(ROOT, "bench/gen/worker.ts")], {
      cwd: ROOT,
      stdout: Bun.file(join(LOG_DIR, `worker-${i}.log`)),
      stderr: Bun.file(join(LOG_DIR, `worker-${i}.err`)),
      serialization: "json",
      ipc(m: any) {
        if (m.ready) return ready();
        if (m.progress) return w.onProgress?.(m);
        waiting.get(m.id)?.(m);
        waiting.delete(m.id);
      },
    });
    out.push(w);
    await Promise.race([isReady, Bun.sleep(15_000).then(() => Promise.reject(new Error("worker did not start")))]);
  }
  return out;
}

export async function closeWorkers(ws: Worker[]) {
  await Promise.allSettled(ws.map((w) => w.call("close", {}, 20_000)));
  await Promise.allSettled(ws.map((w) => Promise.race([w.proc.exited, Bun.sleep(3000)])));
  for (const w of ws) {
    try {
      w.proc.kill("SIGKILL");
    } catch {}
  }
}

/** Split a list into n nearly equal parts, keeping order. */
export function split<T>(xs: T[], n: number): T[][] {
  const parts: T[][] = Array.from({ length: n }, () => []);
  xs.forEach((x, i) => void parts[Math.floor((i * n) / xs.length)]!.push(x));
  return parts;
}
