// A TypeScript consumer of the installed tarballs, type-checked with tsc against their .d.ts.
import { connect, RealtimeError, type ServerEventPayload } from "@rt/client";
import { connectRealtime, type Realtime } from "@rt/sdk";
import { MessageSend, type Message } from "@rt/contracts";
import type { UseChatRoom } from "@rt/react";

export async function consumer(url: string, token: string): Promise<string> {
  const rt = connect({ url, token });
  rt.on("message:new", (m) => {
    const name: string = m.sender.name;
    void name;
  });
  const msg: Message = await rt.request("message:send", MessageSend.parse({ roomId: 1, content: "hi" }));
  // @ts-expect-error content must be a string: the payload types are real, not `any`.
  rt.emit("message:send", { roomId: 1, content: 42 });
  // @ts-expect-error not an event of the contract
  await rt.request("no-such-event");
  const err = new RealtimeError("UNAUTHENTICATED", "x");
  const code: "UNAUTHENTICATED" | "FORBIDDEN" | "NOT_FOUND" | "VALIDATION" | "RATE_LIMITED" | "CONFLICT" | "UNAVAILABLE" | "INTERNAL" = err.code;
  const n: ServerEventPayload<"notification:new"> | undefined = undefined;
  void n;
  return `${msg.content} ${code}`;
}

export async function publisher(natsUrl: string): Promise<number> {
  const { rt, bus }: { rt: Realtime; bus: { drain(): Promise<void> } } = await connectRealtime({ natsUrl, tenantId: "demo" });
  await rt.broadcastDataChange("EquipmentItem", "UPDATE", { id: 1 }, 42);
  // @ts-expect-error only CREATE, UPDATE and DELETE
  await rt.broadcastDataChange("EquipmentItem", "PATCH", {}, 42);
  const count: number = await rt.getConnectedClientsCount();
  await bus.drain();
  return count;
}

export type Send = UseChatRoom["send"];
