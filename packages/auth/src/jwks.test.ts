import { afterAll, describe, expect, test } from "bun:test";
import { idpToken, signingKey, startJwksServer } from "@rt/testkit";
import { createVerifier, TokenError } from "./jwt.ts";

const reason = (p: Promise<unknown>) =>
  p.then(
    () => "accepted",
    (e) => (e instanceof TokenError ? e.reason : `other: ${e}`),
  );
const COOLDOWN_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("JWT_JWKS_URL: a remote key set, cached and refreshed on an unknown kid", async () => {
  const a = await signingKey("RS256");
  const b = await signingKey("ES256");
  const idp = startJwksServer([a]);
  afterAll(() => idp.stop());
  const verify = createVerifier({ jwksUrl: idp.url, jwksCooldownMs: COOLDOWN_MS });

  test("keys are fetched once and cached", async () => {
    for (let i = 0; i < 5; i++) expect(await reason(verify(await idpToken(a, { tenantId: "acme" })))).toBe("accepted");
    expect(idp.fetches()).toBe(1);
  });

  test("after a rotation a token of the new key is accepted without restart; the dropped key is refused", async () => {
    idp.publish([b]);
    await sleep(COOLDOWN_MS + 50);
    expect(await reason(verify(await idpToken(b, { tenantId: "acme" })))).toBe("accepted");
    expect(idp.fetches()).toBe(2);
    await sleep(COOLDOWN_MS + 50);
    expect(await reason(verify(await idpToken(a, { tenantId: "acme" })))).toBe("invalid");
  });

  test("a flood of unknown kids costs at most one fetch per cooldown, and every such token is refused", async () => {
    await sleep(COOLDOWN_MS + 50);
    const before = idp.fetches();
    const strangers = await Promise.all(Array.from({ length: 20 }, () => signingKey("ES256")));
    const results = await Promise.all(strangers.map(async (k) => reason(verify(await idpToken(k, { tenantId: "acme" })))));
    expect(results.every((r) => r === "invalid")).toBe(true);
    expect(idp.fetches() - before).toBeLessThanOrEqual(1);
  });

  test("an unreachable JWKS endpoint refuses tokens (invalid), it does not throw", async () => {
    const down = createVerifier({ jwksUrl: "http://127.0.0.1:9/jwks.json" });
    expect(await reason(down(await idpToken(b, { tenantId: "acme" })))).toBe("invalid");
  });
});
