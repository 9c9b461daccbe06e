/**
 * `bun run pack`: installable npm tarballs of the public packages in `dist/packages/`.
 *
 * One `tsc` run (scripts/pack.tsconfig.json) compiles the packages' sources to ESM JavaScript and
 * `.d.ts` under `dist/build/`; each package is then staged with a publishable package.json
 * (exports map, real dependency ranges, no workspace links), its README and the repo's LICENSE,
 * and packed with `npm pack`. `@rt/sdk` carries `@rt/bus` inside it, and the span helpers of
 * `@rt/tracing` the bus uses (neither is a public package).
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
const BUILD = join(ROOT, "dist/build");
const STAGE = join(ROOT, "dist/stage");
const OUT = join(ROOT, "dist/packages");

const rootPkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const versionOf = (dir: string): string => (JSON.parse(readFileSync(join(ROOT, "packages", dir, "package.json"), "utf8")) as { version: string }).version;
/** A caret range on the version the repo itself is built and tested with. */
const range = (name: string): string => {
  const v = rootPkg.dependencies[name] ?? rootPkg.devDependencies[name];
  if (!v) throw new Error(`pack: ${name} is not a root dependency`);
  return `^${v}`;
};

interface PublicPackage {
  dir: string;
  name: string;
  description: string;
  dependencies: string[];
  /** Other public packages of this repo it depends on (same version). */
  internal: string[];
  peerDependencies?: Record<string, string>;
  /**
   * Private workspace code copied inside this one: import specifier → the file under dist/ it
   * becomes (the package's compiled src/ is copied to that file's folder).
   */
  bundled?: Record<string, string>;
}

const PACKAGES: PublicPackage[] = [
  {
    dir: "contracts",
    name: "@rt/contracts",
    description: "Realtime platform wire contract: event payload schemas (zod), error codes, REST bodies, NATS subjects",
    dependencies: ["zod"],
    internal: [],
  },
  {
    dir: "client",
    name: "@rt/client",
    description: "Typed Socket.IO client for the realtime platform (browser and Node)",
    dependencies: ["socket.io-client"],
    internal: ["@rt/contracts"],
  },
  {
    dir: "sdk",
    name: "@rt/sdk",
    description: "Server-side publishing to the realtime platform over NATS",
    dependencies: ["zod", "@nats-io/transport-node", "@nats-io/jetstream", "@nats-io/kv", "prom-client", "@opentelemetry/api"],
    internal: ["@rt/contracts"],
    bundled: { "@rt/bus": "bus/index.js", "@rt/tracing/spans": "tracing/spans.js" },
  },
  {
    dir: "react",
    name: "@rt/react",
    description: "React hooks for the realtime platform (provider, connection, events, notifications, chat, seed drop-ins)",
    dependencies: [],
    internal: ["@rt/client"],
    peerDependencies: { react: ">=18" },
  },
];

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });

/**
 * Import specifiers of the compiled files: tsc keeps `./x.ts` in `.d.ts` files (it rewrites only
 * the JavaScript), and a bundled workspace package becomes a relative path.
 */
function rewriteSpecifiers(dir: string, bundled: Record<string, string>) {
  for (const file of walk(dir).filter((f) => f.endsWith(".js") || f.endsWith(".d.ts"))) {
    const depth = file.slice(dir.length + 1).split("/").length - 1;
    const up = depth === 0 ? "./" : "../".repeat(depth);
    let text = readFileSync(file, "utf8").replace(/(from\s+|import\()(["'])(\.\.?\/[^"']+)\.ts\2/g, "$1$2$3.js$2");
    for (const [spec, file] of Object.entries(bundled)) {
      text = text.replaceAll(`"${spec}"`, `"${up}${file}"`);
    }
    writeFileSync(file, text);
  }
}

async function run(cmd: string[], cwd = ROOT) {
  const proc = Bun.spawn(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} failed (${code}):\n${out}${err}`);
  return out;
}

export async function pack(): Promise<string[]> {
  for (const d of [BUILD, STAGE, OUT]) rmSync(d, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  await run([join(ROOT, "node_modules/.bin/tsc"), "-p", "scripts/pack.tsconfig.json"]);

  const tarballs: string[] = [];
  for (const p of PACKAGES) {
    const stage = join(STAGE, p.dir);
    const dist = join(stage, "dist");
    cpSync(join(BUILD, p.dir, "src"), dist, { recursive: true });
    for (const [spec, file] of Object.entries(p.bundled ?? {})) {
      cpSync(join(BUILD, spec.split("/")[1]!, "src"), join(dist, file.split("/")[0]!), { recursive: true });
    }
    rewriteSpecifiers(dist, p.bundled ?? {});

    const version = versionOf(p.dir);
    const dependencies: Record<string, string> = {};
    for (const d of p.internal) dependencies[d] = version;
    for (const d of p.dependencies) dependencies[d] = range(d);
    const pkg = {
      name: p.name,
      version,
      description: p.description,
      license: "MIT",
      type: "module",
      sideEffects: false,
      main: "./dist/index.js",
      types: "./dist/index.d.ts",
      exports: { ".": { types: "./dist/index.d.ts", import: "./dist/index.js", default: "./dist/index.js" }, "./package.json": "./package.json" },
      files: ["dist", "README.md", "LICENSE"],
      engines: { node: ">=20" },
      dependencies,
      ...(p.peerDependencies ? { peerDependencies: p.peerDependencies } : {}),
    };
    writeFileSync(join(stage, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
    const readme = join(ROOT, "packages", p.dir, "README.md");
    if (!existsSync(readme)) throw new Error(`pack: packages/${p.dir}/README.md is missing`);
    cpSync(readme, join(stage, "README.md"));
    cpSync(join(ROOT, "LICENSE"), join(stage, "LICENSE"));
    const name = (await run(["npm", "pack", "--ignore-scripts", "--silent", "--pack-destination", OUT], stage)).trim().split("\n").pop()!;
    tarballs.push(join(OUT, name));
  }
  rmSync(STAGE, { recursive: true, force: true });
  return tarballs;
}

if (import.meta.main) {
  const started = performance.now();
  const tarballs = await pack();
  for (const t of tarballs) console.log(t.slice(ROOT.length + 1));
  console.log(`packed ${tarballs.length} packages in ${Math.round(performance.now() - started)} ms`);
}
