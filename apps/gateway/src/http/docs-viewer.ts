import { Hono } from "hono";
import { dirname, join } from "node:path";

/** swagger-ui-dist's folder: the viewer's script and styles are served from here, no CDN. */
const DIST = dirname(Bun.resolveSync("swagger-ui-dist/package.json", import.meta.dir));
const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
};

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Realtime platform: REST API</title>
<link rel="stylesheet" href="/docs/openapi/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/openapi/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#ui", deepLinking: true });</script>
</body></html>`;

/**
 * `/docs/openapi`: the merged OpenAPI document in Swagger UI (swagger-ui-dist, a maintained viewer)
 * instead of hand-written HTML, its files served by the gateway itself.
 */
export function openApiViewer(): Hono {
  const app = new Hono();
  app.get("/", (c) => c.html(PAGE));
  app.get("/:file", (c) => {
    const type = ASSETS[c.req.param("file")];
    if (!type) return c.notFound();
    return new Response(Bun.file(join(DIST, c.req.param("file"))), { headers: { "content-type": type, "cache-control": "public, max-age=86400" } });
  });
  return app;
}
