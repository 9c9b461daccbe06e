/** What the gateway needs of a bun-engine connection to bound what waits for a polling client. */
export interface EngineConn {
  transport: { name: string };
  writeBuffer: unknown[];
  on(event: "packetCreate", fn: (packet: { data?: unknown }) => void): unknown;
  on(event: "flush", fn: () => void): unknown;
  close(): void;
}

const sizeOf = (data: unknown) => (typeof data === "string" ? data.length : data instanceof ArrayBuffer || ArrayBuffer.isView(data) ? data.byteLength : 0);

/**
 * The polling twin of the WebSocket backpressure limit: a long-polling client that stops polling
 * has its packets queued in the engine's write buffer, unbounded (a stalled poller's next GET
 * returned 9 MB). Once more than `maxBytes` wait, the connection is closed ("forced close", a
 * recoverable disconnect): the client reconnects and recovery replays what it missed from the log.
 */
export function capPollingBuffer(conn: EngineConn, maxBytes: number, onExceeded: (bytes: number) => void): void {
  let queued = 0;
  conn.on("flush", () => {
    queued = 0;
  });
  conn.on("packetCreate", (packet) => {
    if (conn.transport.name !== "polling") return;
    queued += sizeOf(packet.data);
    if (queued <= maxBytes) return;
    const bytes = queued;
    queued = 0;
    // close() would wait for the buffer to drain, which a stalled poller never does: drop it.
    conn.writeBuffer.length = 0;
    conn.close();
    onExceeded(bytes);
  });
}
