/**
 * fast-check arbitraries derived from the contracts: each client event's input schema is turned
 * into JSON Schema (`z.toJSONSchema`, input side), that into an arbitrary of valid payloads, and
 * those are mutated (fields dropped, added, retyped, blown up, nested, prototype keys) so the fuzz
 * reaches past validation as well as into it.
 */
import fc from "fast-check";
import { z } from "zod";
import { clientEvents } from "@rt/contracts";

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
};

const json = fc.jsonValue({ maxDepth: 3 });

/** Integers anywhere in the safe range, biased to the small ids that exist in the fuzzed platform. */
function integerIn(lo: number, hi: number): fc.Arbitrary<number> {
  const small = fc.integer({ min: Math.max(lo, -1000), max: Math.min(hi, 60) });
  const wide = fc.maxSafeInteger().filter((n) => n >= lo && n <= hi);
  const edges = fc.constantFrom(...[lo, hi, 2 ** 31 - 1, 2 ** 31, 2 ** 53 - 1].filter((n) => n >= lo && n <= hi));
  return fc.oneof({ weight: 6, arbitrary: small }, { weight: 2, arbitrary: wide }, { weight: 1, arbitrary: edges });
}

/** An arbitrary of values that satisfy a JSON Schema (the subset zod emits for the contracts). */
export function fromJsonSchema(s: JsonSchema): fc.Arbitrary<unknown> {
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return fc.oneof(...alts.map(fromJsonSchema));
  if ("const" in s) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case "object": {
      const props = s.properties ?? {};
      const rec: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(props)) rec[k] = fromJsonSchema(v);
      return fc.record(rec, { requiredKeys: (s.required ?? []).filter((k) => k in props) });
    }
    case "array":
      return fc.array(fromJsonSchema(s.items ?? {}), { minLength: s.minItems ?? 0, maxLength: Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? 8, 8)) });
    case "string": {
      const min = s.minLength ?? 0;
      const max = s.maxLength ?? 64;
      if (s.pattern) return fc.stringMatching(new RegExp(s.pattern)).filter((x) => x.length >= min && x.length <= max);
      if (s.format === "uri") return fc.webUrl();
      const cap = Math.max(min, Math.min(max, 80));
      return fc.oneof(
        { weight: 4, arbitrary: fc.string({ minLength: min, maxLength: cap }) },
        // Any code points, lone surrogates and NUL included: what a hostile client can put in JSON.
        { weight: 2, arbitrary: fc.string({ unit: "binary", minLength: min, maxLength: cap }) },
        {
          weight: 1,
          arbitrary: fc
            .constantFrom("\u0000", "a\u0000b", "\ud800", "'; drop table chat.messages; --", "<script>x</script>", "$" + "{jndi:x}", "%00", "../../etc/passwd")
            .filter((x) => x.length >= min && x.length <= max),
        },
      );
    }
    case "integer":
      return integerIn(
        s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : (s.minimum ?? Number.MIN_SAFE_INTEGER),
        s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : (s.maximum ?? Number.MAX_SAFE_INTEGER),
      );
    case "number":
      return fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer());
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    default:
      return json;
  }
}

/** Keys that probe prototype handling, plus spoofing fields the seeds send (ignored by rule). */
const evilKeys = fc.constantFrom(
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "__defineGetter__",
  "userId",
  "tenantId",
  "senderId",
  "roles",
  "isAdmin",
  "",
);

/** A value nested `depth` times in arrays or objects. */
export const deep = (depth: number, asObject: boolean, leaf: unknown = 1): unknown => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = asObject ? { a: v } : [v];
  return v;
};

const hugeString = fc.constantFrom(10_000, 65_000, 70_000, 200_000, 900_000).map((n) => "x".repeat(n));

/** A payload for one event: valid, or valid and then mutated one of many ways. */
export function payloadFor(schema: z.ZodType): fc.Arbitrary<unknown> {
  const valid = fromJsonSchema(z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema);
  return valid.chain((v) => {
    const obj = v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    const keys = obj ? Object.keys(obj) : [];
    const muts: Array<fc.Arbitrary<unknown>> = [
      // About a third of the payloads are valid, so the fuzz also runs the handlers and services.
      ...Array.from({ length: 5 }, () => fc.constant(v)),
      json,
      fc.constantFrom(null, undefined, 0, -1, "", [], {}, true, "null", NaN),
      hugeString.map((h) => (obj && keys.length ? { ...obj, [keys[0]!]: h } : h)),
      fc.integer({ min: 50, max: 3000 }).chain((d) => fc.boolean().map((o) => deep(d, o, v))),
      fc.tuple(evilKeys, json).map(([k, x]) => (obj ? Object.assign(JSON.parse(JSON.stringify(obj ?? {})), { [k]: x }) : { [k]: x })),
      // A real own `__proto__` property (what JSON.parse makes of one), carrying the valid payload.
      fc.constant(JSON.parse(`{"__proto__":${JSON.stringify(v ?? null)}}`)),
      fc.constant(JSON.parse(`{"constructor":{"prototype":{"isAdmin":true,"roles":["admin"]}}}`)),
    ];
    if (obj && keys.length) {
      muts.push(
        fc.constantFrom(...keys).map((k) => {
          const o = { ...obj };
          delete o[k];
          return o;
        }),
        fc.tuple(fc.constantFrom(...keys), json).map(([k, x]) => ({ ...obj, [k]: x })),
        fc.constant([obj]),
        fc.constant(JSON.stringify(obj)),
      );
    }
    return fc.oneof(...muts);
  });
}

export const CLIENT_EVENT_NAMES = Object.keys(clientEvents);

/** Event names: every contract event, plus unknown, reserved-looking, prototype and absurd ones. */
export const eventName: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...CLIENT_EVENT_NAMES) },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "__proto__",
      "constructor",
      "toString",
      "hasOwnProperty",
      "error",
      "connect_error",
      "disconnecting",
      "pong",
      "message",
      "test:drop-db",
      "message:send ",
      "MESSAGE:SEND",
    ),
  },
  { weight: 1, arbitrary: fc.string({ minLength: 101, maxLength: 400 }) },
  { weight: 1, arbitrary: fc.integer() },
);

/** One Socket.IO EVENT: a name and its arguments (usually the contract payload of that name). */
export const eventFrame = eventName.chain((name) => {
  const schema = typeof name === "string" && Object.hasOwn(clientEvents, name) ? clientEvents[name as keyof typeof clientEvents].input : z.unknown();
  return fc.record({
    name: fc.constant(name),
    args: fc.oneof(
      { weight: 8, arbitrary: payloadFor(schema).map((x) => [x]) },
      { weight: 1, arbitrary: fc.constant([]) },
      { weight: 1, arbitrary: fc.array(json, { maxLength: 4 }) },
    ),
    // Most frames ask for an ack (counted); the rest exercise the `error` event path.
    ack: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  });
});
