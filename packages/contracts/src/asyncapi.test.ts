import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { ASYNCAPI_PATH, PROTOCOL_PATH, asyncApiText, protocolText } from "../../../scripts/docs.ts";
import { buildAsyncApi } from "./asyncapi.ts";
import { actionNames, domainEvents } from "./actions.ts";
import { clientEvents } from "./client-events.ts";
import { serverEvents } from "./server-events.ts";
import { ServiceName, subjects } from "./subjects.ts";

const doc = buildAsyncApi();
const messageNames = (prefix: string) =>
  Object.entries(doc.components.messages)
    .filter(([k]) => k.startsWith(prefix))
    .map(([, m]) => (m as { name: string }).name);

describe("AsyncAPI document", () => {
  test("docs/asyncapi.json is what the generator makes now (run `bun run docs` when this fails)", () => {
    expect(readFileSync(ASYNCAPI_PATH, "utf8")).toBe(asyncApiText());
  });

  test("docs/PROTOCOL.md is what the generator makes now from the contracts and its template (run `bun run docs`)", () => {
    expect(readFileSync(PROTOCOL_PATH, "utf8")).toBe(protocolText());
  });

  test("every client event is received with the ack as reply, every server event is sent", () => {
    expect(doc.asyncapi).toBe("3.0.0");
    expect(messageNames("client.").sort()).toEqual(Object.keys(clientEvents).sort());
    expect(messageNames("server.").sort()).toEqual(Object.keys(serverEvents).sort());
    for (const [key, op] of Object.entries(doc.operations) as Array<[string, any]>) {
      if (key.startsWith("client.")) {
        expect(op.action).toBe("receive");
        expect(op.reply.messages).toEqual([{ $ref: "#/channels/socket/messages/ack" }]);
      }
      if (key.startsWith("server.")) expect(op.action).toBe("send");
    }
  });

  test("every subject of the internal contract is a channel, addresses built by `subjects`", () => {
    const addresses = Object.values(doc.channels).map((c) => c.address);
    const expected = [
      "rt.deliver.{tenant}.{kind}.{id}",
      "rt.publish.{tenant}.{kind}.{id}",
      "rt.presence.heartbeat.{gatewayId}",
      "rt.presence.delta.{gatewayId}",
      "rt.gw.{gatewayId}.snapshot",
      "rt.gw.{gatewayId}.alive",
      "rt.gwadmin.{gatewayId}.{op}",
      "rt.presence.gone.{tenant}",
      ...ServiceName.options.flatMap((s) => actionNames(s).map((a) => subjects.svc(s, a))),
      ...ServiceName.options.filter((s) => s !== "presence" && s !== "sync").map((s) => subjects.http(s)),
      ...Object.values(domainEvents).map((e) => subjects.evt(e.domain, e.fact)),
    ];
    for (const a of expected) expect(addresses).toContain(a);
    // A concrete subject matches its documented pattern.
    expect(subjects.deliver("acme", "user", "u1")).toMatch(/^rt\.deliver\.[^.]+\.user\.[^.]+$/);
  });

  test("every $ref resolves inside the document", () => {
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const r of refs) {
      const path = r.slice(8, -1).replace(/^#\//, "").split("/");
      let node: any = doc;
      for (const p of path) node = node?.[p.replace(/~1/g, "/").replace(/~0/g, "~")];
      expect(node, r).toBeDefined();
    }
  });
});
