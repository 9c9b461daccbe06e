import { fileURLToPath } from "node:url";
import { Outbox, defineService } from "@rt/service-kit";
import { announcedMessages, createChat } from "./chat.ts";
import { chatRoutes } from "./routes.ts";
import { chatOutbox, chatOutboxRows } from "./schema.ts";

/** Chat's outbox: its own entries, and keys of the messages it announces (each its own `message:new`). */
export const chatOutboxTables = { table: chatOutbox, rows: { table: chatOutboxRows, load: announcedMessages } };

/** Chat: rooms, members, messages. Inputs arrive parsed by the kit from the contract's schemas. */
export const chatService = defineService({
  name: "chat",
  migrations: fileURLToPath(new URL("../drizzle", import.meta.url)),
  create(deps) {
    const { bus, db, log } = deps;
    const outbox = new Outbox({ ...deps, ...chatOutboxTables, name: "chat" });
    const chat = createChat({ bus, db: db.db, outbox });
    return {
      actions: {
        "message:send": (ctx, { roomId, ...input }) => chat.sendMessage(ctx, roomId, input),
        "message:edit": (ctx, { messageId, content }) => chat.editMessage(ctx, messageId, content),
        "message:delete": (ctx, { messageId }) => chat.deleteMessage(ctx, messageId),
        "room-authorize": (ctx, { roomId }) => chat.authorizeJoin(ctx, roomId),
        "is-member": async (ctx, { roomId, userId }) => ({ member: await chat.isMember(ctx, roomId, userId) }),
      },
      http: chatRoutes(chat, log),
      stop: () => outbox.stop(),
    };
  },
});
