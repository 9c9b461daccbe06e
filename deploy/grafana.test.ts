/**
 * The Grafana dashboard and the README's metrics table against what the platform really exposes:
 * every metric a panel queries exists (with the histogram suffixes of a histogram), and every
 * `rt_` metric is documented with its type.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { startPlatform, type TestPlatform } from "@rt/testkit";

const ROOT = resolve(import.meta.dir, "..");
const dashboard = JSON.parse(readFileSync(resolve(ROOT, "deploy/grafana/realtime.json"), "utf8"));
const readme = readFileSync(resolve(ROOT, "README.md"), "utf8");

let p: TestPlatform;
/** Metric family → type, from the `# TYPE` lines of /metrics. */
const families = new Map<string, string>();
beforeAll(async () => {
  // In process: one registry holds the gateway's and the services' metrics.
  p = await startPlatform({ inProcess: true });
  for (const line of (await (await p.fetch("/metrics")).text()).split("\n")) {
    const m = line.match(/^# TYPE (\S+) (\S+)$/);
    if (m) families.set(m[1]!, m[2]!);
  }
}, 60_000); // an embedded platform migrates every service: slow on a loaded machine
afterAll(async () => {
  await p?.stop();
});

type Panel = { type: string; id: number; datasource?: { uid: string }; targets?: { expr: string }[] };

test("every metric a dashboard panel queries is exposed by the platform", () => {
  const panels = dashboard.panels as Panel[];
  expect(new Set(panels.map((x) => x.id)).size).toBe(panels.length);
  const queried = new Set<string>();
  for (const panel of panels.filter((x) => x.type !== "row")) {
    expect(panel.datasource?.uid).toBe("$" + "{datasource}");
    expect(panel.targets?.length).toBeGreaterThan(0);
    for (const t of panel.targets!) for (const name of t.expr.match(/\b(?:rt|process|nodejs)_[a-z0-9_]+/g) ?? []) queried.add(name);
  }
  expect(queried.size).toBeGreaterThan(10);
  for (const name of queried) {
    const base = name.replace(/_(bucket|count|sum)$/, "");
    const type = families.get(name) ?? families.get(base);
    expect(type, name).toBeDefined();
    if (name !== base && !families.has(name)) expect(type, name).toBe("histogram");
  }
});

test("every rt_ metric is in the README metrics table with its type, and only those", () => {
  const rows = new Map<string, string>();
  for (const m of readme.matchAll(/^\| `(rt_[a-z_]+)` \| (\w+) \|/gm)) rows.set(m[1]!, m[2]!);
  const exposed = [...families].filter(([name]) => name.startsWith("rt_"));
  expect(exposed.length).toBeGreaterThan(8);
  for (const [name, type] of exposed) expect(rows.get(name), name).toBe(type);
  expect([...rows.keys()].sort()).toEqual(exposed.map(([n]) => n).sort());
});
