import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startPlatform, type TestPlatform } from "@rt/testkit";
import { checkOrigin } from "./origin.ts";

const req = (headers: Record<string, string>) => new Request("http://gw.internal/socket.io/?EIO=4&transport=polling", { headers });

describe("checkOrigin", () => {
  test("the gateway's own origin (Origin host = Host) is always allowed, allowlist or not", () => {
    for (const allowed of [[], ["http://app.example"]]) {
      expect(checkOrigin(req({ origin: "http://gw.example:3000", host: "gw.example:3000" }), allowed)).toBe(true);
      expect(checkOrigin(req({ origin: "https://gw.example", host: "gw.example" }), allowed)).toBe(true);
      // Default ports are the same origin written two ways.
      expect(checkOrigin(req({ origin: "http://gw.example", host: "gw.example:80" }), allowed)).toBe(true);
    }
  });
  test("other origins: only the allowlist; X-Forwarded-Host is not trusted", () => {
    const allowed = ["http://app.example"];
    expect(checkOrigin(req({ origin: "http://app.example", host: "gw.example" }), allowed)).toBe(true);
    expect(checkOrigin(req({ origin: "http://evil.example", host: "gw.example" }), allowed)).toBe(false);
    expect(checkOrigin(req({ origin: "http://evil.example", host: "gw.example", "x-forwarded-host": "evil.example" }), allowed)).toBe(false);
    expect(checkOrigin(req({ origin: "http://gw.example:3001", host: "gw.example:3000" }), allowed)).toBe(false);
    expect(checkOrigin(req({ origin: "null", host: "gw.example" }), allowed)).toBe(false);
    expect(checkOrigin(req({ origin: "http://gw.example" }), allowed)).toBe(false);
    expect(checkOrigin(req({ host: "gw.example" }), allowed)).toBe(true);
  });
});

/** Raw Engine.IO handshakes (no socket.io-client): what python-socketio or a browser page sends. */
describe("ALLOWED_ORIGINS set to another site: the gateway's own origin still connects", () => {
  let p: TestPlatform;
  let own: string;
  beforeAll(async () => {
    p = await startPlatform({ inProcess: true, env: { ALLOWED_ORIGINS: "http://app.example" } });
    own = `http://127.0.0.1:${new URL(p.url).port}`;
  }, 30_000);
  afterAll(() => p.stop());

  const poll = async (origin: string) => {
    const r = await fetch(`${p.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin } });
    return { status: r.status, opened: (await r.text()).startsWith("0") };
  };
  /** WebSocket upgrade, then the namespace CONNECT with a token: true when the server answers `40`. */
  const ws = (origin: string, token: string) =>
    new Promise<string>((resolve) => {
      const sock = new WebSocket(`${p.url.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket`, { headers: { origin } } as unknown as string[]);
      const timer = setTimeout(() => (sock.close(), resolve("timeout")), 5000);
      sock.onmessage = (e) => {
        const data = String(e.data);
        if (data.startsWith("0")) return sock.send(`40${JSON.stringify({ token })}`);
        if (data.startsWith("4")) {
          clearTimeout(timer);
          sock.close();
          resolve(data.slice(0, 2));
        }
      };
      sock.onclose = () => (clearTimeout(timer), resolve("closed"));
    });

  test("polling handshake with Origin = the gateway's own origin opens a session", async () => {
    expect(await poll(own)).toEqual({ status: 200, opened: true });
  });
  test("WebSocket handshake with Origin = the gateway's own origin connects to the namespace", async () => {
    expect(await ws(own, await p.token({ sub: "py" }))).toBe("40");
  });
  test("controls: the allowed origin opens, a foreign origin is refused", async () => {
    expect((await poll("http://app.example")).opened).toBe(true);
    expect(await poll("http://evil.example")).toEqual({ status: 403, opened: false });
    expect(await ws("http://evil.example", await p.token({ sub: "py" }))).toBe("closed");
  });
});
