/**
 * Fault tests' hook: where a process could die between a commit and its publish. A test sets
 * `crashAfterCommit.point` to a point's name (or "*") to make it throw there, or with `kill` to
 * SIGKILL the process there (a service started with `CRASH_AFTER_COMMIT`); nothing else sets it,
 * so production code never crashes on purpose (the config refuses it in production).
 */
export const crashAfterCommit: { point: string | null; kill?: boolean } = { point: null };

export function crashPoint(name: string): void {
  const want = crashAfterCommit.point;
  if (want !== "*" && want !== name) return;
  if (crashAfterCommit.kill) process.kill(process.pid, "SIGKILL");
  throw new Error(`simulated crash after commit at ${name}`);
}
