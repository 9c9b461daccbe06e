/**
 * Browsers send Origin; CORS headers alone do not stop a cross-site page from connecting, so the
 * handshake (and every polling request) is refused here. No Origin (non-browser client): allowed.
 * An empty allowlist allows only the gateway's own origin.
 */
export function checkOrigin(req: Request, allowed: string[]): boolean {
  const origin = req.headers.get("origin");
  if (!origin) return true;
  if (allowed.includes("*") || allowed.includes(origin)) return true;
  const host = req.headers.get("host");
  try {
    return allowed.length === 0 && !!host && new URL(origin).host === host;
  } catch {
    return false;
  }
}
