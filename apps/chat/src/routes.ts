import { HistoryQuery, MemberAddBody, MessageCreateBody, RoomCreateBody, RoomRef } from "@rt/contracts";
import { createServiceApp, requireUser, valid, type Logger } from "@rt/service-kit";
import type { Chat } from "./chat.ts";

/** Chat's REST API, relayed by the gateway with the verified caller in `c.env.ctx`. */
export function chatRoutes(chat: Chat, log: Logger) {
  const app = createServiceApp(log);

  // Every chat route needs a caller: refuse before looking at the payload.
  app.use("*", async (c, next) => {
    requireUser(c);
    await next();
  });

  app.post("/api/chat/rooms", valid("json", RoomCreateBody), async (c) =>
    c.json(await chat.createRoom(requireUser(c), c.req.valid("json")), 201),
  );

  app.get("/api/chat/rooms", async (c) => c.json({ rooms: await chat.listRooms(requireUser(c)) }));

  app.get("/api/chat/rooms/:roomId", valid("param", RoomRef), async (c) =>
    c.json(await chat.getRoom(requireUser(c), c.req.valid("param").roomId)),
  );

  app.get("/api/chat/rooms/:roomId/messages", valid("param", RoomRef), valid("query", HistoryQuery), async (c) =>
    c.json(await chat.history(requireUser(c), c.req.valid("param").roomId, c.req.valid("query"))),
  );

  app.post("/api/chat/rooms/:roomId/members", valid("param", RoomRef), valid("json", MemberAddBody), async (c) => {
    const { room, added } = await chat.addMember(requireUser(c), c.req.valid("param").roomId, c.req.valid("json").userId);
    return c.json(room, added ? 201 : 200);
  });

  // The seed's path and ours are one endpoint.
  for (const base of ["/api/chat", "/shared/chat"]) {
    app.post(`${base}/rooms/:roomId/messages`, valid("param", RoomRef), valid("json", MessageCreateBody), async (c) =>
      c.json(await chat.sendMessage(requireUser(c), c.req.valid("param").roomId, c.req.valid("json")), 201),
    );
  }

  return app;
}
