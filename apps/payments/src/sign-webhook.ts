import { createHmac } from "node:crypto";

/** Hex HMAC-SHA256 of `"<t>.<rawBody>"`: the `v1` value of a `Payment-Signature` header. */
export function webhookHmac(secret: string, t: number, rawBody: string): string {
  return createHmac("sha256", secret).update(`${t}.${rawBody}`, "utf8").digest("hex");
}

/**
 * The `Payment-Signature` header value for a webhook body, as a payment provider sends it:
 * `t=<unix seconds>,v1=<hex>`. Sign the exact string you send: the service checks the raw bytes.
 */
export function signWebhook(secret: string, rawBody: string, t: number = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${webhookHmac(secret, t, rawBody)}`;
}
