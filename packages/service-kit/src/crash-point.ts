/**
 * Fault tests' hook: where a process could die between a commit and its publish. A test sets
 * `crashAfterCommit.point` to a point's name (or "*") to make it throw there; nothing else sets it,
 * so production code never crashes on purpose.
 */
export const crashAfterCommit: { point: string | null } = { point: null };

export function crashPoint(name: string): void {
  const want = crashAfterCommit.point;
  if (want === "*" || want === name) throw new Error(`simulated crash after commit at ${name}`);
}
