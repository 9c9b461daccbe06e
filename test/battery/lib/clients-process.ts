/**
 * A separate process holding N raw Socket.IO WebSocket clients of one tenant, for cases whose
 * clients must misbehave at the OS level: the parent SIGSTOPs this process and its sockets stop
 * reading (slow consumers). Prints `READY <n>` once every client is connected, then waits.
 * Env: CLIENTS_WS_URL, CLIENTS_COUNT, CLIENTS_TENANT, CLIENTS_SECRET, CLIENTS_PREFIX.
 */
import { mintToken } from "@rt/auth";
import { RawSocket } from "./raw-socket.ts";

const url = process.env.CLIENTS_WS_URL!;
const count = Number(process.env.CLIENTS_COUNT ?? 100);
const tenantId = process.env.CLIENTS_TENANT!;
const secret = process.env.CLIENTS_SECRET!;
const prefix = process.env.CLIENTS_PREFIX ?? "slow";

const sockets: RawSocket[] = [];
for (let i = 0; i < count; i += 20) {
  const batch = await Promise.all(
    Array.from({ length: Math.min(20, count - i) }, async (_, k) => {
      const token = await mintToken({ sub: `${prefix}-${i + k}`, tenantId }, { secret });
      const { socket, connected, error } = await RawSocket.open(url, { auth: { token } });
      if (!connected) throw new Error(`client ${i + k} refused: ${JSON.stringify(error)}`);
      return socket;
    }),
  );
  sockets.push(...batch);
}
console.log(`READY ${sockets.length}`);
setInterval(() => {
  const open = sockets.filter((s) => !s.closed).length;
  console.log(`OPEN ${open}`);
}, 1000);
