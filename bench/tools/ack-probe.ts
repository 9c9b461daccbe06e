/**
 * Latency probe: one socket, one message:send in flight at a time, N sends; prints the ack latency
 * distribution. Separates a slow request path (gateway → bus → chat → database → reply) from load.
 *   bun bench/tools/ack-probe.ts [platform-real|platform-embedded|baseline-node] [N]
 */
import { io } from "socket.io-client";
import { mintToken } from "@rt/auth";
import { SECRET, startSide, type SideKind } from "../lib/servers.ts";
import { percentile } from "../lib/stats.ts";
import { newTenant } from "../lib/chat.ts";

const kind = (process.argv[2] ?? "platform-real") as SideKind;
const n = Number(process.argv[3] ?? 500);
const side = await startSide(kind);
try {
  const tenant = newTenant("probe");
  const token = await mintToken({ sub: "p1", tenantId: tenant }, { secret: SECRET });
  const room = (await (
    await fetch(`${side.url}/api/chat/rooms`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "probe", memberIds: [] }),
    })
  ).json()) as { id: number };
  const s = io(side.url, { transports: ["websocket"], auth: { token }, reconnection: false, forceNew: true });
  await new Promise<void>((r) => s.once("connect", () => r()));
  await s.emitWithAck("join_room", { roomId: room.id });
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const a = await s.timeout(10_000).emitWithAck("message:send", { roomId: room.id, content: `probe ${i}` });
    if (!a?.ok) throw new Error(JSON.stringify(a));
    lat.push(performance.now() - t0);
  }
  const q = (p: number) => percentile(lat, p).toFixed(2);
  console.log(`${kind}: ${n} sequential message:send acks: p50 ${q(50)} p90 ${q(90)} p99 ${q(99)} max ${q(100)} ms; >40 ms: ${lat.filter((x) => x > 40).length}`);
  s.close();
} finally {
  await side.stop();
}
