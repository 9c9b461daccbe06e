import { Hono } from "hono";
import type { Gateway } from "../../types.ts";

const PAGE = new URL("./console.html", import.meta.url);

/**
 * The operator console at `/admin`, off unless ADMIN_CONSOLE=true. The page is public and
 * self-contained (no CDN); everything it shows comes from `/api/admin/*` with the credential
 * typed into its login form, kept in sessionStorage. Paths not served fall through to the 404.
 */
export function consoleApp(gw: Gateway): Hono {
  const app = new Hono();
  gw.log.info({ adminConsole: gw.config.ADMIN_CONSOLE }, gw.config.ADMIN_CONSOLE ? "admin console on" : "admin console off");
  if (!gw.config.ADMIN_CONSOLE) return app;
  const page = () =>
    new Response(Bun.file(PAGE), {
      headers: {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        // The page talks to its own origin only and runs only its own inline script.
        "content-security-policy": "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
      },
    });
  app.get("/", page);
  return app;
}
