import { Hono } from "hono";
import { z } from "zod";
import { mintToken } from "@rt/auth";
import { AppError, describeZodError } from "@rt/contracts";
import { DEV_JWT_SECRET } from "@rt/service-kit";
import { clientBundle } from "../client-bundle.ts";
import type { Gateway } from "../../types.ts";

/** Body of the dev-only `POST /demo/token`. */
const DemoTokenBody = z.object({
  sub: z.string().min(1).max(128),
  tenantId: z.string().min(1).max(128).optional(),
  roles: z.array(z.string().min(1).max(64)).max(20).optional(),
  name: z.string().max(200).optional(),
});

const PAGE = new URL("./page.html", import.meta.url);

/** Whether this gateway serves /demo (the landing page links it only then). */
export const demoEnabled = (config: Gateway["config"]): boolean => config.DEMO && config.NODE_ENV !== "production";

/**
 * The demo console at `/demo` (page, SDK bundle, dev token minting), opt-in with DEMO=true (config
 * refuses it in production). `POST /demo/token` signs tokens for any tenant and role, so it exists
 * only while JWT_SECRET is the built-in dev secret: with a real secret the page is served (paste a
 * token) but nothing is minted. Paths not served fall through to the gateway's 404.
 */
export function demoApp(gw: Gateway): Hono {
  const app = new Hono();
  const demo = demoEnabled(gw.config);
  const tokenMinting = demo && gw.config.JWT_SECRET === DEV_JWT_SECRET;
  gw.log.info({ demo, tokenMinting }, demo ? "demo console on" : "demo console off");
  if (demo && !tokenMinting) gw.log.warn("demo token minting off: JWT_SECRET is not the built-in dev secret (paste a token into /demo)");
  if (!demo) return app;

  clientBundle().catch((err) => gw.log.warn({ err: String(err) }, "demo client bundle failed"));

  const page = async () => new Response(Bun.file(PAGE), { headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" } });
  app.get("/", page);
  app.get("/index.html", page);

  app.get("/client.js", async () => {
    return new Response((await clientBundle()).code, { headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" } });
  });

  if (!tokenMinting) return app;
  /** Dev secret only: a token for any user of any tenant, worthless on a platform with a real secret. */
  app.post("/token", async (c) => {
    const raw = await c.req.json().catch(() => {
      throw new AppError("VALIDATION", "body must be JSON");
    });
    const body = DemoTokenBody.safeParse(raw);
    if (!body.success) throw new AppError("VALIDATION", describeZodError(body.error));
    const token = await mintToken(body.data, { secret: DEV_JWT_SECRET, issuer: gw.config.JWT_ISSUER, audience: gw.config.JWT_AUDIENCE });
    return c.json({ token });
  });
  return app;
}
