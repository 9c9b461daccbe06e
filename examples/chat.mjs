// Chat with plain socket.io-client (Node 20+ or Bun): create a room over REST, join it, send a
// message and print it when it comes back as `message:new`.
//
//   export TOKEN=$(bun run --silent token -- --sub u1 --roles admin --name Ann)
//   node examples/chat.mjs            (or: bun run example:chat)
//
// RT_URL picks another platform (default http://localhost:3000).
import { io } from "socket.io-client";

const url = process.env.RT_URL ?? "http://localhost:3000";
const token = process.env.TOKEN;
if (!token) {
  console.error("TOKEN is not set: export TOKEN=$(bun run --silent token -- --sub u1 --roles admin --name Ann)");
  process.exit(2);
}

const socket = io(url, { auth: { token }, reconnection: false });
const fail = (why) => {
  console.error(why);
  process.exit(1);
};
setTimeout(() => fail("no answer within 10 s: is `bun run dev` running?"), 10_000).unref();
socket.on("connect_error", (err) => fail(`connection refused: ${err.message}`));

const incoming = new Promise((resolve) => socket.on("message:new", resolve));
socket.on("connect", async () => {
  const res = await fetch(`${url}/api/chat/rooms`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "general", memberIds: ["u2"] }),
  });
  const room = await res.json();
  if (!res.ok) fail(`room not created: ${JSON.stringify(room)}`);
  console.log("join_room", JSON.stringify(await socket.emitWithAck("join_room", { roomId: room.id })));
  console.log("message:send", JSON.stringify(await socket.emitWithAck("message:send", { roomId: room.id, content: "Hello team!" })));
  const m = await incoming; // the room's members (the sender too) get every message
  console.log("message:new", m.sender.name, m.content);
  socket.close();
});
