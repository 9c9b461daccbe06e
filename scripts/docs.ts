/** `bun run docs`: write docs/asyncapi.json from packages/contracts (a test fails when it is stale). */
import { writeFileSync } from "node:fs";
import { buildAsyncApi } from "@rt/contracts/asyncapi";

export const ASYNCAPI_PATH = new URL("../docs/asyncapi.json", import.meta.url);

/** The committed file's exact text: stable key order, two-space indent, final newline. */
export const asyncApiText = () => JSON.stringify(buildAsyncApi(), null, 2) + "\n";

if (import.meta.main) {
  writeFileSync(ASYNCAPI_PATH, asyncApiText());
  console.log(`wrote ${ASYNCAPI_PATH.pathname}`);
}
