/**
 * Whether a TCP port can be listened on, checked before a process spends seconds booting (PGlite,
 * NATS) only to fail on listen with a stack trace. Port 0 (any free port) is always free.
 */
export function portIsFree(port: number, hostname = "0.0.0.0"): boolean {
  if (port === 0) return true;
  try {
    const probe = Bun.listen({ hostname, port, socket: { data() {} } });
    probe.stop(true);
    return true;
  } catch {
    return false;
  }
}

/** Exit with one line naming the variable when `port` is taken (entry points only). */
export function exitIfPortBusy(port: number, variable = "PORT"): void {
  if (portIsFree(port)) return;
  console.error(`port ${port} is already in use: stop the other process or choose another one, e.g. ${variable}=${port + 1}`);
  process.exit(1);
}
