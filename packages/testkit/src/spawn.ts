import { existsSync } from "node:fs";
import { resolve } from "node:path";

/** The repository root: spawned apps run from here. */
export const REPO_ROOT = resolve(import.meta.dir, "../../..");
/** Command prefix: children die with the process that started them, even when it is SIGKILLed (Linux). */
export const SETPRIV = existsSync("/usr/bin/setpriv") ? ["/usr/bin/setpriv", "--pdeathsig", "SIGKILL"] : [];
/** Environment a child inherits from this process; the rest is explicit. */
const INHERITED = ["PATH", "HOME", "LANG", "TMPDIR", "BUN_INSTALL", "TZ"];

/** The part of this process's environment a spawned app gets; its settings are passed explicitly. */
export function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of INHERITED) if (process.env[k]) env[k] = process.env[k]!;
  return env;
}
