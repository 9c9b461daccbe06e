/**
 * What the container tests share: the docker CLI (bounded), building the seven images from the one
 * Dockerfile on the local base, waiting for Docker healthchecks, the random secrets a production
 * container needs, tokens signed with them, and a bounded HTTP call.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { mintToken } from "@rt/auth";
import { TEST_DATABASE_URL, TEST_NATS_URL, testNamespace } from "@rt/testkit";
import { within } from "../cluster/helpers.ts";

export const ROOT = resolve(import.meta.dir, "../..");
export const APPS = ["gateway", "presence", "chat", "calls", "jobs", "notifications", "payments", "sync"] as const;
export type App = (typeof APPS)[number];
/** Built by deploy/base-image.sh (deploy:test runs it first). */
export const BASE_IMAGE = "realtime-base:local";
export const MAX_IMAGE_BYTES = 250 * 1000 * 1000;
/** The machine's NATS and Postgres: on the host network a container sees them where the tests do. */
export const HOST_NATS_URL = TEST_NATS_URL;
export const HOST_DATABASE_URL = TEST_DATABASE_URL;

/**
 * The engine's own client (Debian's docker.io): its built-in BuildKit builds here without a buildx
 * plugin, and shares its cache with docker-compose's CLI builds.
 */
export const DOCKER = existsSync("/usr/bin/docker") ? "/usr/bin/docker" : "docker";
export const DOCKER_ENV = { DOCKER_BUILDKIT: "1", COMPOSE_DOCKER_CLI_BUILD: "1", PATH: `/usr/bin:${process.env.PATH}` };

/** Run a command, bounded; stdout+stderr, the exit code. `env` adds to this process's env. */
export async function sh(cmd: string[], o: { ms?: number; env?: Record<string, string> } = {}): Promise<{ code: number; out: string }> {
  const p = Bun.spawn(cmd, { cwd: ROOT, stdout: "pipe", stderr: "pipe", stdin: "ignore", env: { ...process.env, ...DOCKER_ENV, ...o.env } });
  const outP = Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]).then(([a, b]) => a + b);
  const code = await within(p.exited, o.ms ?? 60_000, cmd.slice(0, 4).join(" ")).catch((e) => {
    p.kill("SIGKILL");
    throw e;
  });
  return { code, out: await outP };
}

/** `docker …` that must succeed: its output, or an error carrying it. */
export async function docker(args: string[], o: { ms?: number; env?: Record<string, string> } = {}): Promise<string> {
  const r = await sh([DOCKER, ...args], o);
  if (r.code !== 0) throw new Error(`docker ${args.slice(0, 3).join(" ")} exited ${r.code}:\n${r.out.slice(-3000)}`);
  return r.out.trim();
}

/** Random secrets as production requires (32 random bytes, hex: never a placeholder). */
export const randomSecret = () => crypto.getRandomValues(new Uint8Array(32)).toHex();
export function stackSecrets() {
  return { JWT_SECRET: randomSecret(), PUBLISH_API_KEY: randomSecret(), PAYMENTS_WEBHOOK_SECRET: randomSecret() };
}
export type Secrets = ReturnType<typeof stackSecrets>;

/** A fresh NATS namespace for one stack (its streams and subjects are its own on the shared NATS). */
export const stackNamespace = () => `d${testNamespace().slice(1)}`;

export const tokenFor = (secrets: Secrets, tenantId: string, sub: string) => mintToken({ sub, tenantId, roles: [], name: sub }, { secret: secrets.JWT_SECRET });

/**
 * Locally added CA certificates (Debian: /usr/local/share/ca-certificates), passed to the image
 * build so `bun install` works behind a TLS-inspecting proxy; empty where there are none.
 */
export function extraCaCerts(): string {
  const dir = "/usr/local/share/ca-certificates";
  try {
    return readdirSync(dir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith(".crt"))
      .map((f) => readFileSync(`${dir}/${f}`, "utf8").trim())
      .join("\n");
  } catch {
    return "";
  }
}

/** Build every app's image from the one Dockerfile on the local base; returns each image's size. */
export async function buildImages(tag: string): Promise<Record<App, number>> {
  const sizes = {} as Record<App, number>;
  for (const app of APPS) {
    const t0 = Date.now();
    await docker(
      ["build", "-q", "--network", "host", "--build-arg", `BASE=${BASE_IMAGE}`, "--build-arg", `APP=${app}`, "--build-arg", "EXTRA_CA_CERTS", "-t", `realtime/${app}:${tag}`, "."],
      { ms: 900_000, env: { EXTRA_CA_CERTS: extraCaCerts() } },
    );
    sizes[app] = Number(await docker(["image", "inspect", "-f", "{{.Size}}", `realtime/${app}:${tag}`]));
    console.log(`  [figures] image realtime/${app}:${tag}: ${(sizes[app] / 1e6).toFixed(1)} MB, built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return sizes;
}

/** Docker's health status of each container ("healthy", "starting", "unhealthy", or the state when not running). */
export async function healthOf(names: string[]): Promise<Record<string, string>> {
  const out = await docker(["inspect", "-f", "{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}", ...names]);
  return Object.fromEntries(
    out.split("\n").map((l) => {
      const [name, state, health] = l.trim().split(/\s+/);
      return [name!.replace(/^\//, ""), state === "running" ? (health ?? "no-healthcheck") : state!];
    }),
  );
}

/** Wait until every container is healthy by its Docker healthcheck; fails at once when one stopped. */
export async function waitHealthy(names: string[], ms = 240_000): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const h = await healthOf(names);
    const bad = Object.entries(h).filter(([, s]) => s === "exited" || s === "dead" || s === "unhealthy");
    if (bad.length) {
      const logs = await Promise.all(bad.map(async ([n]) => `--- ${n}\n${(await sh([DOCKER, "logs", "--tail", "30", n])).out}`));
      throw new Error(`containers not healthy: ${JSON.stringify(h)}\n${logs.join("\n")}`);
    }
    if (Object.values(h).every((s) => s === "healthy")) return Date.now() - t0;
    if (Date.now() - t0 > ms) throw new Error(`not healthy after ${ms} ms: ${JSON.stringify(h)}`);
    await Bun.sleep(1000);
  }
}
