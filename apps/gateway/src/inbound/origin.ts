/**
 * Browsers send Origin; CORS headers alone do not stop a cross-site page from connecting, so the
 * handshake (and every polling request) is refused here. No Origin (non-browser client): allowed.
 * The gateway's own origin is never cross-site and is always allowed: the /demo page it serves, and
 * clients that send their target host as Origin (python-socketio's WebSocket transport). "Own" is
 * the request's Host header (what the browser addressed); X-Forwarded-Host is not consulted, so a
 * proxy in front must pass the client's Host through (nginx: `proxy_set_header Host $http_host`).
 * Otherwise only the ALLOWED_ORIGINS list (`*` for any).
 */
export function checkOrigin(req: Request, allowed: string[]): boolean {
  const origin = req.headers.get("origin");
  if (!origin) return true;
  if (allowed.includes("*") || allowed.includes(origin)) return true;
  return sameOrigin(origin, req.headers.get("host"));
}

/** Origin and Host name the same host and port (the origin's scheme gives the default port). */
function sameOrigin(origin: string, host: string | null): boolean {
  if (!host) return false;
  try {
    const o = new URL(origin);
    if (o.protocol !== "http:" && o.protocol !== "https:") return false;
    return new URL(`${o.protocol}//${host}`).host === o.host;
  } catch {
    return false;
  }
}
