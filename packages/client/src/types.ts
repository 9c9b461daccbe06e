import type { z } from "zod";
import type { AuthenticatedUser as AuthenticatedUserSchema, ClientAckData, ClientEventName, clientAcks, clientEvents, ServerEventName, ServerEventPayload } from "@rt/contracts";

/**
 * Type-only view of packages/contracts for the client. Nothing here is a runtime import, so the
 * browser bundle carries no zod: payload shapes come from the schemas, the server validates.
 */

export type { ClientEventName, ServerEventName, ServerEventPayload };

/** What a client may send for an event: the schema's input side (numeric strings for ids, defaults optional). */
export type ClientInput<E extends ClientEventName> = z.input<(typeof clientEvents)[E]["input"]>;

/** Events whose payload may be left out (the schema accepts `undefined`). */
type OptionalInput<E extends ClientEventName> = undefined extends ClientInput<E> ? true : false;

export type EmitArgs<E extends ClientEventName> = OptionalInput<E> extends true ? [input?: ClientInput<E>] : [input: ClientInput<E>];

export interface RequestOptions {
  /** Milliseconds to wait for the ack before rejecting with UNAVAILABLE (default: the client's requestTimeoutMs). */
  timeoutMs?: number;
}

export type RequestArgs<E extends ClientEventName> =
  OptionalInput<E> extends true ? [input?: ClientInput<E>, options?: RequestOptions] : [input: ClientInput<E>, options?: RequestOptions];

export type AuthenticatedUser = z.infer<typeof AuthenticatedUserSchema>;

/** The ack `data` of each client event, from the contract's `clientAcks`; other events are `unknown`. */
export type AckDataMap = { [E in keyof typeof clientAcks]: z.output<(typeof clientAcks)[E]> };

export type AckData<E extends ClientEventName> = ClientAckData<E>;

export type ServerHandler<E extends ServerEventName> = (payload: ServerEventPayload<E>) => void;
