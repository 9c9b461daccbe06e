import type { ClientEventName, ServerEventName, ServerEventPayload } from "@rt/contracts";
import { connect, type ConnectOptions, type RealtimeClient } from "./client.ts";
import type { AckData, AuthenticatedUser, EmitArgs, RequestArgs, ServerHandler } from "./types.ts";

export type SocketClientOptions = Partial<Omit<ConnectOptions, "token">>;

// biome-ignore lint/suspicious/noExplicitAny: the seed-002 drop-in takes untyped handlers, as the code it replaces
type AnyHandler = (payload: any) => void;

/**
 * The seed-002 `socketClient` wrapper on the typed client: `connect(token)`, payment
 * subscription, and handlers to override (`socketClient.onPaymentUpdate = (d) => …`).
 */
export class SocketClient {
  /** The typed client of the current connection (null before `connect`). */
  client: RealtimeClient | null = null;
  readonly #listeners: Array<[string, AnyHandler]> = [];

  // Overridable handlers (seed 002). Defaults do nothing.
  onPaymentUpdate: (data: ServerEventPayload<"payment_update">) => void = () => {};
  /** `notification:new` (the legacy `notification` alias is not doubled here). */
  onNotification: (data: ServerEventPayload<"notification:new">) => void = () => {};
  onAuthenticated: (user: AuthenticatedUser) => void = () => {};
  onConnect: () => void = () => {};
  onDisconnect: (reason: string) => void = () => {};

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /**
   * Connect with a token (a previous connection is closed). In a page the gateway serves, `url`
   * defaults to the page's origin. Each connection announces the server-verified user through
   * `onAuthenticated` (seed method 2: the socket sends `authenticate`).
   */
  connect(token: string, opts: SocketClientOptions = {}): RealtimeClient {
    this.client?.disconnect();
    const url = opts.url ?? (typeof location !== "undefined" ? location.origin : undefined);
    if (!url) throw new Error("socketClient.connect: pass { url } outside a browser");
    const client = connect({ ...opts, url, token });
    this.client = client;
    client.on("payment_update", (d) => this.onPaymentUpdate(d));
    client.on("notification:new", (d) => this.onNotification(d));
    client.on("authenticated", (a) => {
      if (a.success) this.onAuthenticated(a.user);
    });
    client.socket.on("connect", () => {
      this.onConnect();
      client.request("authenticate", { token: client.token }).catch(() => {});
    });
    client.socket.on("disconnect", (reason: string) => this.onDisconnect(reason));
    for (const [event, handler] of this.#listeners) client.socket.on(event, handler);
    return client;
  }

  disconnect(): void {
    this.client?.disconnect();
  }

  /** Refresh the token of the live connection (see RealtimeClient.setToken). */
  setToken(token: string): Promise<AuthenticatedUser | undefined> {
    return this.#need().setToken(token);
  }

  /** Join the payment updates (admins: the tenant's; others: their own); kept across reconnects. */
  subscribeToPayments(): Promise<AckData<"subscribe:payments">> {
    return quiet(this.#need().request("subscribe:payments"));
  }

  unsubscribeFromPayments(): Promise<AckData<"unsubscribe:payments">> {
    return quiet(this.#need().request("unsubscribe:payments"));
  }

  emit<E extends ClientEventName>(event: E, ...args: EmitArgs<E>): void {
    this.#need().emit(event, ...args);
  }

  request<E extends ClientEventName>(event: E, ...args: RequestArgs<E>): Promise<AckData<E>> {
    return this.#need().request(event, ...args);
  }

  /** Contract events are typed; any other name (events published through the API are free-form) gets `unknown`. */
  on<E extends ServerEventName>(event: E, handler: ServerHandler<E>): () => void;
  on(event: string, handler: (payload: unknown) => void): () => void;
  on(event: string, handler: AnyHandler): () => void {
    this.#listeners.push([event, handler]);
    this.client?.socket.on(event, handler);
    return () => this.off(event, handler);
  }

  off(event: string, handler?: AnyHandler): void {
    for (let i = this.#listeners.length - 1; i >= 0; i--) {
      const [e, h] = this.#listeners[i]!;
      if (e === event && (!handler || h === handler)) this.#listeners.splice(i, 1);
    }
    if (handler) this.client?.socket.off(event, handler);
    else this.client?.socket.off(event);
  }

  #need(): RealtimeClient {
    if (!this.client) throw new Error("socketClient: call connect(token) first");
    return this.client;
  }
}

/** The seed calls subscribeToPayments() without awaiting: keep its failure from being an unhandled rejection. */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

export function createSocketClient(): SocketClient {
  return new SocketClient();
}

/** The seed's global-style instance: `import { socketClient } from "/demo/client.js"`. */
export const socketClient = createSocketClient();
