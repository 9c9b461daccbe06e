import { timingSafeEqual } from "node:crypto";
import { AppError } from "@rt/contracts";
import { webhookHmac } from "./sign-webhook.ts";

/** Seconds a signature may be off from our clock either way (replays of old captures fail). */
export const SIGNATURE_TOLERANCE_S = 300;
const MAX_HEADER = 2048;
const MAX_V1 = 8;

const bad = (message: string) => new AppError("VALIDATION", message);

/**
 * Check `Payment-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]` against the raw body before anything
 * is parsed. Several v1 values are allowed so a provider can sign with an old and a new secret
 * while rotating. Throws VALIDATION on any failure.
 */
export function verifyWebhookSignature(opts: { header: string | undefined; rawBody: string; secret: string | undefined; nowS?: number }): void {
  if (!opts.secret) throw bad("webhooks are not configured");
  const header = opts.header;
  if (!header) throw bad("Payment-Signature header is required");
  if (header.length > MAX_HEADER) throw bad("Payment-Signature header is malformed");

  let t: number | undefined;
  const v1: Buffer[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) throw bad("Payment-Signature header is malformed");
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === "t") {
      if (t !== undefined || !/^\d{1,12}$/.test(value)) throw bad("Payment-Signature header is malformed");
      t = Number(value);
    } else if (key === "v1") {
      if (!/^[0-9a-fA-F]{64}$/.test(value)) throw bad("Payment-Signature header is malformed");
      v1.push(Buffer.from(value, "hex"));
    }
    // Other schemes (v0, future versions) are ignored, as providers document.
  }
  if (t === undefined || v1.length === 0 || v1.length > MAX_V1) throw bad("Payment-Signature header is malformed");

  const now = opts.nowS ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > SIGNATURE_TOLERANCE_S) throw bad("Payment-Signature timestamp is outside the tolerance");

  const expected = Buffer.from(webhookHmac(opts.secret, t, opts.rawBody), "hex");
  // Compare against every candidate so timing does not tell which one matched.
  let match = false;
  for (const sig of v1) if (timingSafeEqual(sig, expected)) match = true;
  if (!match) throw bad("Payment-Signature does not match");
}
