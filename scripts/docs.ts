/**
 * `bun run docs`: write what is generated from the code (tests fail when any of it is stale):
 * docs/asyncapi.json and docs/PROTOCOL.md from packages/contracts (the prose of PROTOCOL.md is
 * docs/PROTOCOL.template.md), and the README's Configuration table from the config schema.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { buildAsyncApi } from "@rt/contracts/asyncapi";
import { buildProtocolReference } from "@rt/contracts/protocol-doc";
import { configTable } from "@rt/service-kit/config-doc";

export const ASYNCAPI_PATH = new URL("../docs/asyncapi.json", import.meta.url);
export const PROTOCOL_PATH = new URL("../docs/PROTOCOL.md", import.meta.url);
export const PROTOCOL_TEMPLATE_PATH = new URL("../docs/PROTOCOL.template.md", import.meta.url);
export const README_PATH = new URL("../README.md", import.meta.url);

/** The committed file's exact text: stable key order, two-space indent, final newline. */
export const asyncApiText = () => `${JSON.stringify(buildAsyncApi(), null, 2)}\n`;

export const protocolText = () => buildProtocolReference(readFileSync(PROTOCOL_TEMPLATE_PATH, "utf8"));

const CONFIG_START = "<!-- generated: config (bun run docs) -->";
const CONFIG_END = "<!-- end: config -->";

/** The README with its Configuration table (between the markers) generated from the config schema. */
export function readmeText(readme = readFileSync(README_PATH, "utf8")): string {
  const start = readme.indexOf(CONFIG_START);
  const end = readme.indexOf(CONFIG_END);
  if (start < 0 || end < start) throw new Error(`README.md: no "${CONFIG_START}" … "${CONFIG_END}" block`);
  return `${readme.slice(0, start + CONFIG_START.length)}\n${configTable()}${readme.slice(end)}`;
}

if (import.meta.main) {
  const readme = readmeText();
  writeFileSync(ASYNCAPI_PATH, asyncApiText());
  writeFileSync(PROTOCOL_PATH, protocolText());
  writeFileSync(README_PATH, readme);
  for (const p of [ASYNCAPI_PATH, PROTOCOL_PATH, README_PATH]) console.log(`wrote ${p.pathname}`);
}
