import { Decoder, Encoder, PacketType, type Packet } from "socket.io-parser";
import { EncodedAck } from "./inbound/shared-reads.ts";

/**
 * Socket.IO's packet encoder, except that an ack whose one argument is an EncodedAck is written
 * from its JSON as is: a shared answer is encoded once however many sockets it answers.
 */
class GatewayEncoder extends Encoder {
  override encode(packet: Packet): Array<string | Buffer> {
    const body = packet.type === PacketType.ACK && packet.data?.length === 1 ? packet.data[0] : undefined;
    if (!(body instanceof EncodedAck)) return super.encode(packet);
    const nsp = packet.nsp && packet.nsp !== "/" ? `${packet.nsp},` : "";
    return [`${PacketType.ACK}${nsp}${packet.id}[${body.json}]`];
  }
}

/** The `parser` option of the gateway's Socket.IO server. */
export const gatewayParser = { Encoder: GatewayEncoder, Decoder };
