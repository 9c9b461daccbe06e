import { expect, test } from "bun:test";
import { turnCredentials } from "./turn.ts";

test("TURN REST API credentials: <expiry>:<userId> and base64 HMAC-SHA1 of it", () => {
  const cfg = { urls: ["turn:127.0.0.1:3478"], secret: "north-wind-secret-0123", ttlSeconds: 600 };
  const c = turnCredentials(cfg, "alice", 1_700_000_000_500);
  expect(c).toEqual({ urls: ["turn:127.0.0.1:3478"], username: "1700000600:alice", credential: expect.any(String), ttl: 600 });
  // Fixed vector computed independently: printf '1700000600:alice' | openssl dgst -sha1 -hmac north-wind-secret-0123 -binary | base64
  expect(c.credential).toBe(TURN_VECTOR);
});

const TURN_VECTOR = "p0HOUHUUmHaA/U0Ve2IZZ6EIpOA=";
