import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { PROTOCOL_PATH, protocolText } from "../../../scripts/docs.ts";
import { buildAsyncApi } from "./asyncapi.ts";
import { buildProtocolReference, protocolSections, slug } from "./protocol-doc.ts";
import { clientEvents } from "./client-events.ts";
import { serverEvents } from "./server-events.ts";
import { ErrorCode } from "./errors.ts";

const text = protocolText();
const headings = new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));

describe("docs/PROTOCOL.md", () => {
  test("has a section for every client event, server event and error code of the contracts", () => {
    for (const name of Object.keys(clientEvents)) expect(headings).toContain(slug(`client \`${name}\``));
    for (const name of Object.keys(serverEvents)) expect(headings).toContain(slug(`server \`${name}\``));
    for (const code of ErrorCode.options) expect(text).toContain(`| \`${code}\` |`);
  });

  test("lists every NATS subject of the AsyncAPI document", () => {
    for (const [id, c] of Object.entries(buildAsyncApi().channels)) if (id !== "socket") expect(text).toContain(`\`${c.address}\``);
  });

  test("every in-page link points at a heading, every relative link at a file of the repo", () => {
    const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(100);
    for (const l of links) {
      if (l.startsWith("#")) expect(headings, l).toContain(l.slice(1));
      else if (!/^[a-z]+:/.test(l)) expect(existsSync(new URL(l.split("#")[0]!, PROTOCOL_PATH)), l).toBe(true);
    }
  });

  test("a template naming an unknown section, or leaving one out, is refused", () => {
    const all = Object.keys(protocolSections())
      .map((n) => `<!-- generated: ${n} -->`)
      .join("\n");
    expect(() => buildProtocolReference(`${all}\n<!-- generated: nope -->`)).toThrow(/unknown section "nope"/);
    expect(() => buildProtocolReference("# only prose\n")).toThrow(/sections not placed/);
    expect(buildProtocolReference(all)).toContain("| `VALIDATION` | 400 |");
  });

  test("says nothing points outside the repository", () => {
    expect(readFileSync(PROTOCOL_PATH, "utf8")).not.toContain("shared/spec");
  });
});
