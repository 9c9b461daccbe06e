/**
 * Fault tests' hook: throws where a process could die between a commit and its publish, when
 * OUTBOX_CRASH_AFTER_COMMIT names this point (or is "1"). Honoured only under NODE_ENV=test.
 */
export function crashPoint(name: string): void {
  if (process.env.NODE_ENV !== "test") return;
  const want = process.env.OUTBOX_CRASH_AFTER_COMMIT;
  if (want === "1" || want === name) throw new Error(`simulated crash after commit at ${name}`);
}
