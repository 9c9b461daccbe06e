import { Hono } from "hono";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { AppError } from "@rt/contracts";

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

/** A viewer's files: the package they come from and, by the name a page asks for, [file inside the package, content type]. */
export interface ViewerFiles {
  pkg: string;
  assets: Record<string, [string, string]>;
}

/**
 * The AsyncAPI viewer's two files. Its package is a devDependency (its dependency tree would double
 * the image): the Dockerfile puts only these files of it into the image (deploy/files-from-package.ts).
 */
export const ASYNCAPI_VIEWER: ViewerFiles = {
  pkg: "@asyncapi/react-component",
  assets: { "asyncapi.js": ["browser/standalone/index.js", JS], "asyncapi.css": ["styles/default.min.css", CSS] },
};

/** Where a viewer is looked up from (as an import from this code: node_modules up the tree), and who hears that it is missing. */
export interface ViewerOptions {
  from?: string;
  log?: { warn: (o: object, msg: string) => void };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The package folder holding every file of a viewer, or what is missing. One lookup, no fallback: a missing viewer is reported, never papered over. */
function locate(v: ViewerFiles, from: string): { dir: string } | { missing: string } {
  let dir: string;
  try {
    dir = dirname(Bun.resolveSync(`${v.pkg}/package.json`, from));
  } catch {
    return { missing: `${v.pkg} is not installed (looked up from ${from})` };
  }
  const absent = Object.values(v.assets)
    .map(([file]) => file)
    .filter((file) => !existsSync(join(dir, file)));
  return absent.length ? { missing: `${v.pkg} in ${dir} lacks ${absent.join(", ")}` } : { dir };
}

function viewer(v: ViewerFiles, page: string, o: ViewerOptions): Hono {
  const app = new Hono();
  const found = locate(v, o.from ?? import.meta.dir);
  if ("missing" in found) {
    o.log?.warn({ viewer: v.pkg, missing: found.missing }, "docs viewer files missing: its pages answer 503");
    const error = new AppError("UNAVAILABLE", `this viewer's files are not in this installation: ${found.missing}`).toBody();
    app.all("*", (c) => c.json({ error }, 503));
    return app;
  }
  app.get("/", (c) => c.html(page));
  app.get("/:file", (c) => {
    const asset = v.assets[c.req.param("file")];
    if (!asset) return c.notFound();
    return new Response(Bun.file(join(found.dir, asset[0])), { headers: { "content-type": asset[1], "cache-control": "public, max-age=86400" } });
  });
  return app;
}

/**
 * `/docs/openapi`: the merged OpenAPI document in Swagger UI (swagger-ui-dist, a maintained viewer)
 * instead of hand-written HTML, its files served by the gateway itself.
 */
export const openApiViewer = (o: ViewerOptions = {}): Hono =>
  viewer(
    { pkg: "swagger-ui-dist", assets: { "swagger-ui.css": ["swagger-ui.css", CSS], "swagger-ui-bundle.js": ["swagger-ui-bundle.js", JS] } },
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Realtime platform: REST API</title>
<link rel="stylesheet" href="/docs/openapi/swagger-ui.css"></head>
<body><p style="font:14px system-ui,sans-serif;margin:.5rem 1rem"><a href="/docs">/docs</a> · <a href="/docs/asyncapi">Socket.IO events (AsyncAPI)</a></p><div id="ui"></div>
<script src="/docs/openapi/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#ui", deepLinking: true });</script>
</body></html>`,
    o,
  );

/**
 * `/docs/asyncapi`: the AsyncAPI document (Socket.IO events with their payload schemas, NATS
 * subjects) in the AsyncAPI React component's standalone bundle, a maintained viewer that carries
 * its own parser, served by the gateway itself.
 */
export const asyncApiViewer = (o: ViewerOptions = {}): Hono =>
  viewer(
    ASYNCAPI_VIEWER,
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
    o,
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
