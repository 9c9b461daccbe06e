import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { mintToken, verifyToken } from "@rt/auth";
import { emitAck, startPlatform, TEST_API_KEY, TEST_WEBHOOK_SECRET, waitFor, type TestPlatform } from "@rt/testkit";

/**
 * The README's examples, run as a newcomer runs them (node / python3 as separate processes)
 * against a running platform; RT_URL, TOKEN and the keys point them at the test platform.
 */
const DIR = import.meta.dir;
let p: TestPlatform;
let env: Record<string, string>;

beforeAll(async () => {
  p = await startPlatform();
  env = { RT_URL: p.url, TENANT: p.tenant, PUBLISH_API_KEY: TEST_API_KEY, PAYMENTS_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET };
}, 30_000);
afterAll(() => p.stop());

async function run(cmd: string[], extra: Record<string, string> = {}) {
  const proc = Bun.spawn(cmd, { cwd: join(DIR, ".."), env: { ...process.env, ...env, ...extra }, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { stdout, stderr, code };
}

test("examples/chat.mjs (plain node + socket.io-client): room, join, send, and its message comes back", async () => {
  const token = await p.token({ sub: "u1", roles: ["admin"], name: "Ann" });
  const out = await run(["node", "examples/chat.mjs"], { TOKEN: token });
  expect(out.stderr).toBe("");
  expect(out.code).toBe(0);
  expect(out.stdout).toContain(`join_room {"ok":true`);
  expect(out.stdout).toContain(`message:send {"ok":true`);
  expect(out.stdout).toContain("message:new Ann Hello team!");
}, 30_000);

test("examples/chat.mjs without TOKEN says how to set it (exit 2), instead of printing nothing", async () => {
  const out = await run(["node", "examples/chat.mjs"], { TOKEN: "" });
  expect(out.code).toBe(2);
  expect(out.stderr).toContain("export TOKEN=$(bun run --silent token");
}, 30_000);

test("examples/publish.mjs and examples/python/publish.py reach the user's socket", async () => {
  const s = await p.connect({ sub: "u7" });
  const fromNode = waitFor(s, "booking_reminder");
  const node = await run(["node", "examples/publish.mjs", "u7", "booking_reminder", '{"bookingId":7}']);
  expect(node.code).toBe(0);
  expect(await fromNode).toMatchObject({ bookingId: 7 });

  const fromPython = waitFor(s, "booking_reminder");
  const py = await run(["python3", "examples/python/publish.py", "u7", "booking_reminder", '{"bookingId": 8}']);
  expect(py.stderr).toBe("");
  expect(py.stdout).toStartWith("published ");
  expect(await fromPython).toMatchObject({ bookingId: 8 });
}, 30_000);

test("examples/python/webhook.py signs a payments webhook the platform accepts; a wrong secret is refused", async () => {
  const admin = await p.connect({ sub: "pay-admin", roles: ["admin"] });
  expect((await emitAck(admin, "subscribe:payments")).ok).toBe(true);
  const update = waitFor(admin, "payment_update");
  // Invoice ids are global (the first event fixes the tenant): one per run on a shared Postgres.
  const invoice = `inv_py_${crypto.randomUUID().slice(0, 8)}`;
  const ok = await run(["python3", "examples/python/webhook.py", invoice, "paid", "1000", "u7"]);
  expect(ok.stderr).toBe("");
  expect(ok.stdout).toContain("'received': True");
  expect((await update) as { data: unknown }).toMatchObject({ data: { invoiceId: invoice, status: "paid", amount: 1000 } });

  const bad = await run(["python3", "examples/python/webhook.py", "inv_py_2", "paid", "5", "u7"], { PAYMENTS_WEBHOOK_SECRET: "not-the-secret-0123456789" });
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain("Payment-Signature does not match");
}, 30_000);

test("one default tenant everywhere: tokens without one, the token script, the demo console, the README, the examples", async () => {
  const root = join(DIR, "..");
  const read = (f: string) => Bun.file(join(root, f)).text();
  expect(await read("scripts/token.ts")).toContain('tenant: { type: "string", default: "default" }');
  expect(await read("apps/gateway/src/http/demo/page.html")).toContain('<input id="tenant" value="default"');
  for (const f of ["examples/publish.mjs", "examples/python/publish.py", "examples/python/webhook.py"]) expect(await read(f)).toMatch(/TENANT\D+default/);
  const readme = await read("README.md");
  expect(readme).toContain('"tenantId":"default"');
  for (const other of ["--tenant acme", '"acme"', 'value="demo"']) expect(readme + (await read("packages/sdk/README.md"))).not.toContain(other);
  // A token minted without a tenant is in that tenant.
  const auth = { secret: p.config.JWT_SECRET! };
  expect(await verifyToken(await mintToken({ sub: "no-tenant" }, auth), auth)).toMatchObject({ tenantId: "default" });
});
