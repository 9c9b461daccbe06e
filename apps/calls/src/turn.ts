import { createHmac } from "node:crypto";
import type { TurnCredentials } from "@rt/contracts";

export interface TurnConfig {
  urls: string[];
  secret: string;
  ttlSeconds: number;
}

/**
 * Time-limited TURN credentials in the TURN REST API format (coturn `use-auth-secret`):
 * username `<expiry>:<userId>`, credential base64(HMAC-SHA1(secret, username)). coturn recomputes
 * the HMAC and refuses the username once its expiry has passed, so nothing is stored here.
 */
export function turnCredentials(cfg: TurnConfig, userId: string, nowMs = Date.now()): TurnCredentials {
  const expiry = Math.floor(nowMs / 1000) + cfg.ttlSeconds;
  const username = `${expiry}:${userId}`;
  const credential = createHmac("sha1", cfg.secret).update(username).digest("base64");
  return { urls: cfg.urls, username, credential, ttl: cfg.ttlSeconds };
}
