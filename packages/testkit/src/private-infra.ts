/**
 * A private nats-server (JetStream) and a private Postgres, each on a free port with its data in a
 * temp dir: fault tests stop and start these, never the machine's (other people use those).
 */
import { chmodSync, chownSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { freePort } from "./ports.ts";
import { SETPRIV } from "./spawn.ts";

export interface PrivateServer {
  url: string;
  /** Stop it (graceful: its store is kept); resolves once it is gone. */
  stop(): Promise<void>;
  /** Start it again on the same port and data; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stop it for good and remove its data. */
  close(): Promise<void>;
}

const NATS_SERVER = "/usr/sbin/nats-server";
const PG_BIN = "/usr/lib/postgresql/15/bin";

/** Resolves once something accepts TCP connections on the port, or throws after `ms`. */
async function listening(port: number, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }).then(
      (s) => (s.end(), true),
      () => false,
    );
    if (ok) return;
    await Bun.sleep(100);
  }
  throw new Error(`${what} not listening on ${port} after ${ms} ms`);
}

async function run(cmd: string[], what: string): Promise<void> {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  if ((await p.exited) !== 0) throw new Error(`${what} failed: ${await new Response(p.stderr).text()}`);
}

export async function privateNats(): Promise<PrivateServer> {
  const dir = mkdtempSync(join(tmpdir(), "rt-nats-"));
  const port = freePort();
  let proc: Subprocess | null = null;
  const start = async () => {
    proc = Bun.spawn([...SETPRIV, NATS_SERVER, "-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir], { stdout: "ignore", stderr: "ignore" });
    await listening(port, 15_000, "private nats-server");
  };
  const stop = async () => {
    const p = proc;
    proc = null;
    if (!p) return;
    p.kill("SIGTERM");
    await p.exited;
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    start,
    stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Postgres refuses to run as root: as root, its commands run as the `postgres` user. */
const asPostgres = (cmd: string[]) => (process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...cmd] : cmd);

export async function privatePostgres(): Promise<PrivateServer> {
  const dir = mkdtempSync(join(tmpdir(), "rt-pg-"));
  const data = join(dir, "data");
  const idOf = (flag: string) => Number(Bun.spawnSync(["id", flag, "postgres"]).stdout.toString());
  if (process.getuid?.() === 0) chownSync(dir, idOf("-u"), idOf("-g"));
  chmodSync(dir, 0o700);
  const port = freePort();
  await run(asPostgres([`${PG_BIN}/initdb`, "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]), "initdb");
  const ctl = (...args: string[]) => run(asPostgres([`${PG_BIN}/pg_ctl`, "-D", data, "-l", join(dir, "log"), ...args]), `pg_ctl ${args[0]}`);
  // Durability is not what these tests attack: no fsync keeps the box's disk out of it.
  const start = async () => {
    await ctl("start", "-w", "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300`);
    await listening(port, 15_000, "private postgres");
  };
  const stop = () => ctl("stop", "-w", "-m", "fast");
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    async close() {
      await stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
