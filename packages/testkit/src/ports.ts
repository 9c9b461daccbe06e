/** A port free right now on every interface (the OS picks it; a spawned server binds it next). */
export function freePort(): number {
  const srv = Bun.listen({ hostname: "0.0.0.0", port: 0, socket: { data() {} } });
  const port = srv.port;
  srv.stop(true);
  return port;
}
