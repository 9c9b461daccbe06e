/**
 * For the image (Dockerfile, after `bun install --production`): puts the AsyncAPI viewer's files into
 * node_modules/@asyncapi/react-component/ WITHOUT the package's dependencies (225 packages, +109 MB
 * that the two served files do not need; the package is a devDependency). The version and sha512
 * are the ones bun.lock pins, the tarball comes from the registry `bun install` uses (`bun info`
 * asks it), and only package.json (so the gateway's one lookup finds the package), the license
 * files and the served files are written. Any mismatch or absence fails the build.
 *   usage, in the image's /app: bun deploy/files-from-package.ts
 */
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ASYNCAPI_VIEWER } from "../apps/gateway/src/http/docs-viewer.ts";

const ROOT = resolve(import.meta.dir, "..");
const { pkg } = ASYNCAPI_VIEWER;
const fail = (msg: string): never => {
  console.error(`files-from-package: ${msg}`);
  process.exit(1);
};

// bun.lock: "packages": { "<name>": ["<name>@<version>", "<registry>", { …deps }, "sha512-…"] }
const lock = Bun.JSONC.parse(await Bun.file(join(ROOT, "bun.lock")).text()) as { packages: Record<string, unknown[]> };
const entry = lock.packages[pkg] ?? fail(`${pkg} is not in bun.lock`);
const version = String(entry[0]).slice(pkg.length + 1);
const integrity = String(entry.at(-1));
if (!integrity.startsWith("sha512-")) fail(`no sha512 for ${pkg} in bun.lock`);

const info = Bun.spawnSync([process.execPath, "info", `${pkg}@${version}`, "dist.tarball"], { cwd: ROOT, stderr: "inherit" });
const url = info.stdout.toString().trim();
if (info.exitCode !== 0 || !/^https?:\/\//.test(url)) fail(`bun info ${pkg}@${version} gave no tarball URL: ${url}`);

const res = await fetch(url);
if (!res.ok) fail(`${url}: HTTP ${res.status}`);
const tgz = await res.bytes();
const got = `sha512-${new Bun.CryptoHasher("sha512").update(tgz).digest("base64")}`;
if (got !== integrity) fail(`${url} is not what bun.lock pins (${got}, expected ${integrity})`);

const served = Object.values(ASYNCAPI_VIEWER.assets).map(([file]) => file);
const required = ["package.json", "LICENSE", ...served];
const notices = served.map((f) => `${f}.LICENSE.txt`); // the bundled code's own licenses, where the package has them
const files = await new Bun.Archive(tgz).files();
const dest = join(ROOT, "node_modules", pkg);
let bytes = 0;
for (const file of [...required, ...notices]) {
  const blob = files.get(`package/${file}`);
  if (!blob) {
    if (required.includes(file)) fail(`${pkg}@${version} has no ${file}`);
    continue;
  }
  mkdirSync(dirname(join(dest, file)), { recursive: true });
  bytes += await Bun.write(join(dest, file), blob);
}
console.log(`files-from-package: ${pkg}@${version} (sha512 as in bun.lock): ${required.length} files and their notices, ${(bytes / 1e6).toFixed(1)} MB, no dependencies`);
