/**
 * A Socket.IO v4 client written frame by frame over Bun's WebSocket, so a case can send exactly
 * the bytes it wants (malformed packets, binary attachments, hand-written JSON with `__proto__`
 * keys) after a proper Engine.IO and namespace handshake, and see every frame the server sends.
 */
import { sleep } from "./common.ts";

export interface RawOpenOptions {
  /** Handshake `auth` object (token and anything else); sent in the namespace CONNECT packet. */
  auth?: Record<string, unknown>;
  path?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export type Frame = string | Uint8Array;

export class RawSocket {
  /** Every text frame received after the handshake (bounded), for leak scans. */
  readonly received: string[] = [];
  closed = false;
  closeCode = 0;
  sid = "";
  /** The session id (pid) of the CONNECT packet, when the server has recovery on. */
  pid = "";
  private nextAck = 1;
  private acks = new Map<number, (v: unknown) => void>();
  private listeners = new Set<(f: string) => void>();
  private closeWaiters = new Set<() => void>();
  /** How many bytes of frames arrived (text and binary). */
  bytesIn = 0;
  framesIn = 0;

  private constructor(readonly ws: WebSocket) {}

  /** Engine.IO open + Socket.IO CONNECT to "/"; resolves once the server answers CONNECT or CONNECT_ERROR. */
  static async open(baseWsUrl: string, o: RawOpenOptions = {}): Promise<{ socket: RawSocket; connected: boolean; error?: unknown }> {
    const q = new URLSearchParams({ EIO: "4", transport: "websocket", ...o.query });
    const ws = new WebSocket(`${baseWsUrl}${o.path ?? "/socket.io/"}?${q}`, { headers: o.headers } as unknown as string[]);
    ws.binaryType = "arraybuffer";
    const s = new RawSocket(ws);
    const outcome = new Promise<{ connected: boolean; error?: unknown }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("raw socket handshake timed out")), o.timeoutMs ?? 10_000);
      let opened = false;
      let settled = false;
      ws.onmessage = (ev) => {
        const data = ev.data;
        if (typeof data !== "string") {
          s.bytesIn += (data as ArrayBuffer).byteLength;
          s.framesIn++;
          return;
        }
        s.bytesIn += data.length;
        s.framesIn++;
        if (settled) return s.onText(data);
        if (!opened && data.startsWith("0")) {
          opened = true;
          ws.send(`40${o.auth ? JSON.stringify(o.auth) : ""}`);
          return;
        }
        if (data === "2") {
          ws.send("3");
          return;
        }
        if (data.startsWith("40")) {
          settled = true;
          clearTimeout(timer);
          try {
            const c = JSON.parse(data.slice(2)) as { sid: string; pid?: string };
            s.sid = c.sid;
            s.pid = c.pid ?? "";
          } catch {
            // keep ""
          }
          resolve({ connected: true });
          return;
        }
        if (data.startsWith("44")) {
          settled = true;
          clearTimeout(timer);
          let error: unknown = data.slice(2);
          try {
            error = JSON.parse(data.slice(2));
          } catch {
            // raw text
          }
          resolve({ connected: false, error });
          return;
        }
        s.onText(data);
      };
      ws.onclose = (ev) => {
        s.markClosed(ev.code);
        clearTimeout(timer);
        resolve({ connected: false, error: `closed ${ev.code}` });
      };
      ws.onerror = () => {
        // onclose follows
      };
    });
    const r = await outcome;
    return { socket: s, ...r };
  }

  private markClosed(code: number) {
    if (this.closed) return;
    this.closed = true;
    this.closeCode = code;
    for (const fn of this.acks.values()) fn({ __closed: true });
    this.acks.clear();
    for (const w of this.closeWaiters) w();
    this.closeWaiters.clear();
  }

  private onText(data: string) {
    if (data === "2") {
      if (!this.closed) this.ws.send("3");
      return;
    }
    if (this.received.length < 20_000) this.received.push(data);
    // Socket.IO ACK to "/": 43<id>[...]
    if (data.startsWith("43")) {
      const m = /^43(\d+)/.exec(data);
      if (m) {
        const id = Number(m[1]);
        const fn = this.acks.get(id);
        if (fn) {
          this.acks.delete(id);
          let args: unknown;
          try {
            args = JSON.parse(data.slice(m[0].length));
          } catch {
            args = { __unparsable: data };
          }
          fn(Array.isArray(args) ? args[0] : args);
        }
      }
    }
    for (const l of this.listeners) l(data);
  }

  /** Listen to every text frame after the handshake (acks included). */
  onFrame(fn: (f: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  send(frame: Frame): void {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(frame);
  }

  /** A fresh ack id, and a promise of the ack's first argument (`{ __closed: true }` if the socket closes first, "timeout" after ms). */
  expectAck(ms: number): { id: number; answer: Promise<unknown> } {
    const id = this.nextAck++;
    const answer = new Promise<unknown>((resolve) => {
      if (this.closed) return resolve({ __closed: true });
      const timer = setTimeout(() => {
        this.acks.delete(id);
        resolve("timeout");
      }, ms);
      this.acks.set(id, (v) => {
        clearTimeout(timer);
        resolve(v);
      });
    });
    return { id, answer };
  }

  /** Emit a Socket.IO EVENT as JSON text, with an ack id when `ackMs` is given. */
  emit(event: unknown, args: unknown[], ackMs?: number): Promise<unknown> | undefined {
    if (ackMs === undefined) {
      this.send(`42${JSON.stringify([event, ...args])}`);
      return undefined;
    }
    const { id, answer } = this.expectAck(ackMs);
    this.send(`42${id}${JSON.stringify([event, ...args])}`);
    return answer;
  }

  /** Resolves when the socket closes, or after ms (false). */
  waitClosed(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.closeWaiters.delete(done);
        resolve(false);
      }, ms);
      this.closeWaiters.add(done);
    });
  }

  close(): void {
    try {
      this.ws.close();
    } catch {
      // already closed
    }
  }

  /** Give the event loop a turn (lets queued frames arrive). */
  static tick(ms = 0) {
    return sleep(ms);
  }
}
