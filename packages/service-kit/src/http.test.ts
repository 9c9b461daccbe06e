import { expect, test } from "bun:test";
import { createLogger } from "./log.ts";
import { createServiceApp } from "./http.ts";
import { jsonTextTooDeep, measurePayload, MAX_PAYLOAD_DEPTH } from "./payload.ts";

/** A service's own Hono app, reached directly (not through the gateway): deep JSON must not hang it. */
test("a service app answers a JSON body nested 50,000 deep with 400 VALIDATION, quickly, before its handler parses it", async () => {
  const app = createServiceApp(createLogger({ name: "t", level: "silent" }));
  let handled = 0;
  app.post("/things", async (c) => {
    handled++;
    const body = await c.req.json();
    return c.json({ size: JSON.stringify(body).length }, 201);
  });
  const deep = (n: number) => `{"a":${"[".repeat(n)}${"]".repeat(n)}}`;
  const post = (body: string, type = "application/json") => app.request("/things", { method: "POST", headers: { "content-type": type }, body });
  const started = performance.now();
  const res = await post(deep(50_000));
  expect(performance.now() - started).toBeLessThan(500);
  expect(res.status).toBe(400);
  expect(((await res.json()) as any).error).toMatchObject({ code: "VALIDATION", message: expect.stringContaining("depth") });
  expect((await post(deep(1000), "text/plain")).status).toBe(400);
  expect(handled).toBe(0);
  // Within the limit the handler reads the body as usual; non-JSON bodies pass through untouched.
  expect((await post(deep(60))).status).toBe(201);
  expect(await (await post('{"x":[1,2,{"y":3}]}')).json()).toEqual({ size: 19 });
  expect(handled).toBe(2);
});

test("the text depth check and the value measure agree on the limit", () => {
  for (const n of [MAX_PAYLOAD_DEPTH - 1, MAX_PAYLOAD_DEPTH, MAX_PAYLOAD_DEPTH + 1]) {
    const text = `${"[".repeat(n)}${"]".repeat(n)}`;
    expect(jsonTextTooDeep(text)).toBe(measurePayload(JSON.parse(text)).tooDeep);
  }
  // Brackets inside strings (and escaped quotes) do not count.
  expect(jsonTextTooDeep(JSON.stringify({ s: `${"[".repeat(500)}\\"${"{".repeat(500)}` }))).toBe(false);
  expect(jsonTextTooDeep(`[${"[".repeat(64)}"]"${"]".repeat(64)}]`)).toBe(true);
});
