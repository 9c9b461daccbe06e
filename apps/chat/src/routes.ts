import { HistoryPage, HistoryQuery, MemberAddBody, Message, MessageCreateBody, Room, RoomCreateBody, RoomList, RoomRef } from "@rt/contracts";
import { createServiceApp, requireUser, route, valid, type Logger, type RouteDoc } from "@rt/service-kit";
import type { Chat } from "./chat.ts";

/** Every chat route: a member of the caller's tenant, by bearer token. */
const doc = (d: Omit<RouteDoc, "tags" | "auth">) => route({ ...d, tags: ["chat"], auth: ["bearer"] });

/** Chat's REST API, relayed by the gateway with the verified caller in `c.env.ctx`. */
export function chatRoutes(chat: Chat, log: Logger) {
  const app = createServiceApp(log);

  // Every chat route needs a caller: refuse before looking at the payload.
  app.use("*", async (c, next) => {
    requireUser(c);
    await next();
  });

  app.post("/api/chat/rooms", doc({ summary: "Create a room (the creator is a member)", responses: { 201: Room } }), valid("json", RoomCreateBody), async (c) =>
    c.json(await chat.createRoom(requireUser(c), c.req.valid("json")), 201),
  );

  app.get("/api/chat/rooms", doc({ summary: "The caller's rooms", responses: { 200: RoomList } }), async (c) => c.json({ rooms: await chat.listRooms(requireUser(c)) }));

  app.get(
    "/api/chat/rooms/:roomId",
    doc({ summary: "One room (members only)", responses: { 200: Room }, errors: ["FORBIDDEN", "NOT_FOUND"] }),
    valid("param", RoomRef),
    async (c) => c.json(await chat.getRoom(requireUser(c), c.req.valid("param").roomId)),
  );

  const historyDoc = doc({ summary: "Message history, newest first (cursor `before`)", responses: { 200: HistoryPage }, errors: ["FORBIDDEN", "NOT_FOUND"] });
  app.get("/api/chat/rooms/:roomId/messages", historyDoc, valid("param", RoomRef), valid("query", HistoryQuery), async (c) =>
    c.json(await chat.history(requireUser(c), c.req.valid("param").roomId, c.req.valid("query"))),
  );

  const memberDoc = doc({ summary: "Add a member (201 added, 200 already one)", responses: { 201: Room, 200: Room }, errors: ["FORBIDDEN", "NOT_FOUND"] });
  app.post("/api/chat/rooms/:roomId/members", memberDoc, valid("param", RoomRef), valid("json", MemberAddBody), async (c) => {
    const { room, added } = await chat.addMember(requireUser(c), c.req.valid("param").roomId, c.req.valid("json").userId);
    return c.json(room, added ? 201 : 200);
  });

  // The seed's path and ours are one endpoint.
  const sendDoc = doc({ summary: "Send a message; the room gets message:new", responses: { 201: Message }, errors: ["FORBIDDEN", "NOT_FOUND"] });
  for (const base of ["/api/chat", "/shared/chat"]) {
    app.post(`${base}/rooms/:roomId/messages`, sendDoc, valid("param", RoomRef), valid("json", MessageCreateBody), async (c) =>
      c.json(await chat.sendMessage(requireUser(c), c.req.valid("param").roomId, c.req.valid("json")), 201),
    );
  }

  return app;
}
