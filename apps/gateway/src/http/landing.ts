import { clientBundle } from "./client-bundle.ts";

export interface LandingInfo {
  name: string;
  version: string;
  /** What a newcomer opens first; `demo` only when the console is on. */
  links: Record<string, string>;
  socketIo: { path: string; client: string };
}

export async function landingInfo(o: { version: string; demo: boolean }): Promise<LandingInfo> {
  const client = await clientBundle().then(
    (b) => b.version,
    () => "unavailable",
  );
  return {
    name: "Realtime Platform",
    version: o.version,
    links: {
      docs: "/docs",
      asyncapiViewer: "/docs/asyncapi",
      openapiViewer: "/docs/openapi",
      asyncapi: "/asyncapi.json",
      openapi: "/openapi.json",
      client: "/client.js",
      health: "/health",
      ...(o.demo ? { demo: "/demo" } : {}),
    },
    socketIo: { path: "/socket.io/", client: `@rt/client ${client}` },
  };
}

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** What each link is, in words, for the page. */
const LABELS: Record<string, string> = {
  docs: "API reference: both viewers below",
  asyncapiViewer: "Socket.IO events (with payloads) and NATS subjects",
  openapiViewer: "REST API, with try-it-out",
  asyncapi: "AsyncAPI document",
  openapi: "OpenAPI document",
  client: "the client SDK as a browser ES module",
  health: "health check",
  demo: "demo console: tokens, rooms, chat, publish",
};

/** The same links as a small page, for a browser. */
export function landingHtml(info: LandingInfo): string {
  const items = Object.entries(info.links)
    .map(([k, href]) => `<li><a href="${escapeHtml(href)}">${escapeHtml(href)}</a> — ${escapeHtml(LABELS[k] ?? k)}</li>`)
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(info.name)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}code{background:#eee;padding:0 .2em}</style></head>
<body><h1>${escapeHtml(info.name)} <small>${escapeHtml(info.version)}</small></h1>
<ul>
${items}
</ul>
<p>Socket.IO at <code>${escapeHtml(info.socketIo.path)}</code>; in a page: <code>import { connect } from "/client.js"</code>.</p>
</body></html>`;
}
