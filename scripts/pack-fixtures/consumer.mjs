// A Node 20 consumer of the installed tarballs (plain node, no TypeScript): two users chat in a
// room, a server publishes to one of them with @rt/sdk, and a bad token is refused at once.
// Inputs come from the environment; the result is one JSON line on stdout.
import { connect, RealtimeError } from "@rt/client";
import { connectRealtime } from "@rt/sdk";
import { MessageSend } from "@rt/contracts";

const { URL: url, TOKEN_A, TOKEN_B, USER_B, ROOM_ID, NATS_URL, NATS_NAMESPACE, TENANT } = process.env;
const roomId = Number(ROOM_ID);
const within = (ms, what, promise) => Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))]);
const nextEvent = (client, name) => new Promise((resolve) => client.onAny((event, payload) => event === name && resolve(payload)));

const a = connect({ url, token: TOKEN_A });
const b = connect({ url, token: TOKEN_B });
await within(5000, "connect", Promise.all([a.whenConnected(), b.whenConnected()]));
await a.request("join_room", { roomId });
await b.request("join_room", { roomId });

const incoming = nextEvent(b, "message:new");
const sent = await a.request("message:send", MessageSend.parse({ roomId, content: "hello from node" }));
const received = await within(5000, "message:new", incoming);

const { rt, bus } = await connectRealtime({ natsUrl: NATS_URL, namespace: NATS_NAMESPACE, tenantId: TENANT });
const published = nextEvent(b, "booking_reminder");
await rt.emitToUser(USER_B, "booking_reminder", { bookingId: 7 });
const reminder = await within(5000, "booking_reminder", published);
await bus.drain();

const bad = connect({ url, token: "not-a-token" });
const t0 = Date.now();
const refused = await bad.request("ping").then(
  () => null,
  (e) => ({ isRealtimeError: e instanceof RealtimeError, code: e.code, ms: Date.now() - t0 }),
);

for (const c of [a, b, bad]) c.disconnect();
console.log(JSON.stringify({ sent: sent.content, received: received.content, from: received.sender.id, reminder, refused }));
