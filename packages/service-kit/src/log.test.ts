import { expect, test } from "bun:test";
import { Writable } from "node:stream";
import { createLogger } from "./log.ts";

const sink = () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, destination };
};

test("pretty: one readable line per entry, each field once, secrets still redacted", () => {
  const { lines, destination } = sink();
  const log = createLogger({ name: "gateway", destination, pretty: true }).child({ gatewayId: "gw-1" });
  log.info({ port: 3000, token: "eyJ.secret.sig" }, "gateway listening");
  const text = lines.join("");
  expect(text).toContain("INFO");
  expect(text).toContain("gateway listening");
  expect(text.match(/gatewayId/g)).toHaveLength(1);
  expect(text).not.toContain("eyJ.secret.sig");
  expect(() => JSON.parse(text)).toThrow();
});

test("not pretty (a pipe, a collector): one JSON object per line", () => {
  const { lines, destination } = sink();
  createLogger({ name: "gateway", destination }).info({ port: 3000 }, "gateway listening");
  expect(JSON.parse(lines[0]!)).toMatchObject({ app: "gateway", port: 3000, msg: "gateway listening" });
});
