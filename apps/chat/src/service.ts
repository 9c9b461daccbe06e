import { IsMemberInput, MessageDelete, MessageEdit, MessageSend, RoomRef, actions, type IsMemberReply } from "@rt/contracts";
import { serveActions, serveHttpRelay, type RunningService, type ServiceDeps } from "@rt/service-kit";
import { createChat } from "./chat.ts";
import { chatRoutes } from "./routes.ts";

export function createChatService({ bus, db, log, metrics }: ServiceDeps): RunningService {
  const chat = createChat({ bus, db: db.db });
  const served = serveActions(
    bus,
    "chat",
    {
      [actions.chat.authorizeJoin]: (ctx, data) => chat.authorizeJoin(ctx, RoomRef.parse(data).roomId),
      [actions.chat.isMember]: async (ctx, data): Promise<IsMemberReply> => {
        const { roomId, userId } = IsMemberInput.parse(data);
        return { member: await chat.isMember(ctx, roomId, userId) };
      },
      [actions.chat.messageSend]: (ctx, data) => {
        const { roomId, ...input } = MessageSend.parse(data);
        return chat.sendMessage(ctx, roomId, input);
      },
      [actions.chat.messageEdit]: (ctx, data) => {
        const { messageId, content } = MessageEdit.parse(data);
        return chat.editMessage(ctx, messageId, content);
      },
      [actions.chat.messageDelete]: (ctx, data) => chat.deleteMessage(ctx, MessageDelete.parse(data).messageId),
    },
    log,
    metrics,
  );
  const relay = serveHttpRelay(bus, "chat", chatRoutes(chat, log), log, metrics);
  return {
    async stop() {
      served.unsubscribe();
      relay.unsubscribe();
    },
  };
}
