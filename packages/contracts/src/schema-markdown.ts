/**
 * JSON Schema (as `z.toJSONSchema` writes it) to markdown: one table row per field, nested objects
 * and arrays of objects flattened into dotted paths. Only what the contracts' schemas use.
 */
export type JsonSchema = { [k: string]: unknown };

const code = (v: unknown) => `\`${typeof v === "string" ? v : JSON.stringify(v)}\``;
/** A table cell: pipes escaped, one line. */
export const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

const alternatives = (s: JsonSchema) => (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
const isEmpty = (s: JsonSchema) => Object.keys(s).filter((k) => k !== "description").length === 0;
const hasFields = (s: JsonSchema) => s.type === "object" && typeof s.properties === "object" && s.properties !== null;

/** The type of a schema in a few words: `TEXT` | `IMAGE`, integer or string, object[]. */
export function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return code(s.const);
  if (Array.isArray(s.enum)) return s.enum.map(code).join(" | ");
  const alts = alternatives(s);
  if (alts) return [...new Set(alts.map(typeOf))].join(" or ");
  if (s.type === "array") return `${typeOf((s.items as JsonSchema) ?? {})}[]`;
  if (s.type === "object" && !hasFields(s) && typeof s.additionalProperties === "object") {
    return `record of ${typeOf(s.additionalProperties as JsonSchema)}`;
  }
  if (Array.isArray(s.type)) return s.type.join(" or ");
  if (typeof s.type === "string") return s.type;
  return isEmpty(s) ? "any" : "object";
}

const BIG = Number.MAX_SAFE_INTEGER;
/** Constraints and defaults of one schema (and of its alternatives) in short words. */
export function notesOf(s: JsonSchema): string[] {
  const n: string[] = [];
  const range = (lo: unknown, hi: unknown, unit: string) => {
    if (lo !== undefined && hi !== undefined) n.push(`${lo}–${hi} ${unit}`);
    else if (lo !== undefined) n.push(`≥ ${lo} ${unit}`);
    else if (hi !== undefined) n.push(`≤ ${hi} ${unit}`);
  };
  range(s.minLength, s.maxLength, "chars");
  range(s.minItems, s.maxItems, "items");
  if (s.exclusiveMinimum !== undefined) n.push(`> ${s.exclusiveMinimum}`);
  if (s.minimum !== undefined && s.minimum !== -BIG) n.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined && s.maximum !== BIG) n.push(`≤ ${s.maximum}`);
  if (typeof s.pattern === "string") n.push(`pattern ${code(s.pattern)}`);
  if (typeof s.format === "string") n.push(s.format);
  if (s.default !== undefined) n.push(`default ${code(s.default)}`);
  if (s.type === "array" && s.items && !hasFields(s.items as JsonSchema)) n.push(...notesOf(s.items as JsonSchema).map((x) => `each ${x}`));
  for (const alt of alternatives(s) ?? []) n.push(...notesOf(alt).map((x) => `${typeOf(alt)}: ${x}`));
  if (typeof s.description === "string") n.push(s.description);
  return n;
}

interface Row {
  path: string;
  type: string;
  required: boolean;
  notes: string;
}

/** The object a schema describes fields of, if any: itself, its array items, or its one object alternative. */
function fieldsOf(s: JsonSchema): { schema: JsonSchema; suffix: string } | undefined {
  if (hasFields(s)) return { schema: s, suffix: "" };
  if (s.type === "array" && s.items && hasFields(s.items as JsonSchema)) return { schema: s.items as JsonSchema, suffix: "[]" };
  const objects = (alternatives(s) ?? []).filter(hasFields);
  if (objects.length === 1) return { schema: objects[0]!, suffix: "" };
  return undefined;
}

function rows(obj: JsonSchema, prefix: string, out: Row[]): Row[] {
  const required = new Set((obj.required as string[] | undefined) ?? []);
  for (const [key, value] of Object.entries(obj.properties as Record<string, JsonSchema>)) {
    const path = prefix + key;
    out.push({ path, type: typeOf(value), required: required.has(key), notes: notesOf(value).join("; ") });
    const inner = fieldsOf(value);
    if (inner) rows(inner.schema, `${path}${inner.suffix}.`, out);
  }
  return out;
}

function table(obj: JsonSchema): string {
  const r = rows(obj, "", []);
  if (r.length === 0) return "`{}` (no fields)\n";
  return [
    "| field | type | required | notes |",
    "|---|---|---|---|",
    ...r.map((x) => `| \`${x.path}\` | ${cell(x.type)} | ${x.required ? "yes" : "no"} | ${cell(x.notes)} |`),
    "",
  ].join("\n");
}

/** A whole payload: a field table, "one of" several shapes, or a one-line type. */
export function schemaMarkdown(s: JsonSchema): string {
  if (hasFields(s)) return table(s);
  const alts = alternatives(s);
  if (alts) {
    return `One of:\n\n${alts.map((a, i) => (hasFields(a) ? `${i + 1}. an object:\n\n${table(a)}` : `${i + 1}. ${shortLine(a)}\n`)).join("\n")}`;
  }
  return `${shortLine(s)}\n`;
}

function shortLine(s: JsonSchema): string {
  if (isEmpty(s)) return typeof s.description === "string" ? s.description : "any JSON value";
  const inner = fieldsOf(s);
  if (inner) return `an array of objects:\n\n${table(inner.schema)}`;
  const notes = notesOf(s);
  return `${typeOf(s)}${notes.length ? ` (${notes.join("; ")})` : ""}`;
}
