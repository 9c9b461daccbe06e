import { Hono } from "hono";
import { dirname, join } from "node:path";

/** A package's folder: the viewers' scripts and styles are served from here, no CDN. */
const dirOf = (pkg: string) => dirname(Bun.resolveSync(`${pkg}/package.json`, import.meta.dir));
const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

/** The files a viewer page loads, by the name it asks for: [file inside the package, content type]. */
type Assets = Record<string, [string, string]>;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function viewer(pkg: string, assets: Assets, page: string): Hono {
  const dir = dirOf(pkg);
  const app = new Hono();
  app.get("/", (c) => c.html(page));
  app.get("/:file", (c) => {
    const asset = assets[c.req.param("file")];
    if (!asset) return c.notFound();
    return new Response(Bun.file(join(dir, asset[0])), { headers: { "content-type": asset[1], "cache-control": "public, max-age=86400" } });
  });
  return app;
}

/**
 * `/docs/openapi`: the merged OpenAPI document in Swagger UI (swagger-ui-dist, a maintained viewer)
 * instead of hand-written HTML, its files served by the gateway itself.
 */
export const openApiViewer = (): Hono =>
  viewer(
    "swagger-ui-dist",
    { "swagger-ui.css": ["swagger-ui.css", CSS], "swagger-ui-bundle.js": ["swagger-ui-bundle.js", JS] },
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Realtime platform: REST API</title>
<link rel="stylesheet" href="/docs/openapi/swagger-ui.css"></head>
<body><p style="font:14px system-ui,sans-serif;margin:.5rem 1rem"><a href="/docs">/docs</a> · <a href="/docs/asyncapi">Socket.IO events (AsyncAPI)</a></p><div id="ui"></div>
<script src="/docs/openapi/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#ui", deepLinking: true });</script>
</body></html>`,
  );

/**
 * `/docs/asyncapi`: the AsyncAPI document (Socket.IO events with their payload schemas, NATS
 * subjects) in the AsyncAPI React component's standalone bundle, a maintained viewer that carries
 * its own parser, served by the gateway itself.
 */
export const asyncApiViewer = (): Hono =>
  viewer(
    "@asyncapi/react-component",
    { "asyncapi.js": ["browser/standalone/index.js", JS], "asyncapi.css": ["styles/default.min.css", CSS] },
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Realtime platform: Socket.IO events and NATS subjects</title>
<link rel="stylesheet" href="/docs/asyncapi/asyncapi.css"></head>
<body><p style="font:14px system-ui,sans-serif;margin:.5rem 1rem"><a href="/docs">/docs</a> · <a href="/docs/openapi">REST API (OpenAPI)</a></p><div id="asyncapi"></div>
<script src="/docs/asyncapi/asyncapi.js"></script>
<script>
fetch("/asyncapi.json").then((r) => r.text()).then((schema) =>
  AsyncApiStandalone.render({ schema, config: { show: { sidebar: true }, expand: { messageExamples: false } } }, document.getElementById("asyncapi")));
</script>
</body></html>`,
  );

/** `/docs`: where both viewers and both machine-readable documents are. */
export function docsIndex(o: { openapi: string; asyncapi: string; missing?: string[] }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Realtime platform API</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#1d2330}code{background:#eef0f3;padding:0 .2em}</style></head>
<body><h1>Realtime platform API</h1>
<ul>
<li><a href="/docs/asyncapi">Socket.IO events and NATS subjects</a>: every event with its payload schema (AsyncAPI viewer; document <a href="/asyncapi.json">/asyncapi.json</a>, AsyncAPI ${esc(o.asyncapi)})</li>
<li><a href="/docs/openapi">REST API</a>: every route with parameters, bodies, auth and responses, try-it-out (Swagger UI; document <a href="/openapi.json">/openapi.json</a>, OpenAPI ${esc(o.openapi)})</li>
</ul>
${o.missing?.length ? `<p><strong>Not answering now</strong> (their routes are missing from the REST document): ${esc(o.missing.join(", "))}</p>` : ""}
<p>Every client event takes an optional ack: <code>{ ok: true, data? }</code> or <code>{ ok: false, error: { code, message } }</code>; HTTP errors are <code>{ "error": { "code", "message" } }</code>.
Codes: UNAUTHENTICATED 401, FORBIDDEN 403, NOT_FOUND 404, VALIDATION 400, RATE_LIMITED 429, CONFLICT 409, UNAVAILABLE 503, INTERNAL 500.</p>
</body></html>`;
}
