import { createMiddleware } from "hono/factory";
import { AppError } from "@rt/contracts";

/**
 * Nesting deeper than this is refused (VALIDATION), on sockets and REST alike. Contract payloads
 * are a few levels deep; a hostile 100 KB `[[[[…` tens of thousands deep made JSON.stringify (and
 * zod) spin for over a second of event-loop time before overflowing the stack: a one-request DoS.
 */
export const MAX_PAYLOAD_DEPTH = 64;

/**
 * Approximate encoded size (binary attachments by length) and nesting depth of a value, walked
 * iteratively so no client input can recurse us into a stack overflow; stops early past
 * `maxBytes` or MAX_PAYLOAD_DEPTH.
 */
export function measurePayload(value: unknown, maxBytes = Infinity): { bytes: number; tooDeep: boolean } {
  let bytes = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0 && bytes <= maxBytes) {
    const [v, depth] = stack.pop()!;
    if (v === null || v === undefined) bytes += 4;
    else if (typeof v === "string") bytes += v.length + 2;
    else if (typeof v !== "object") bytes += String(v).length;
    else if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) bytes += v.byteLength;
    else {
      if (depth >= MAX_PAYLOAD_DEPTH) return { bytes, tooDeep: true };
      bytes += 2;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length && bytes <= maxBytes; i++) {
          bytes += 1;
          stack.push([v[i], depth + 1]);
        }
      } else {
        for (const k in v) {
          if (bytes > maxBytes) break;
          bytes += k.length + 4;
          stack.push([(v as Record<string, unknown>)[k], depth + 1]);
        }
      }
    }
  }
  return { bytes, tooDeep: false };
}

export const tooDeepMessage = `payload too deeply nested (max depth ${MAX_PAYLOAD_DEPTH})`;

/**
 * Whether JSON text nests containers deeper than MAX_PAYLOAD_DEPTH (the limit measurePayload
 * applies to parsed values), decided on the text itself: no parse, and a hostile body is refused
 * after its first 65 brackets instead of after JSON.parse built 50,000 levels.
 */
export function jsonTextTooDeep(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > MAX_PAYLOAD_DEPTH) return true;
    } else if (ch === 0x7d || ch === 0x5d) depth--;
  }
  return false;
}

/**
 * Every request body that looks like JSON (whatever its content type: handlers read bodies with
 * `c.req.json()` regardless) is depth-checked before any handler or validator parses it. The raw
 * text stays cached for handlers that need the exact bytes (webhook signatures, the relay).
 */
export const jsonDepthLimit = createMiddleware(async (c, next) => {
  if (c.req.method !== "GET" && c.req.method !== "HEAD") {
    const text = await c.req.text();
    const first = text.trimStart()[0];
    if ((first === "{" || first === "[") && jsonTextTooDeep(text)) throw new AppError("VALIDATION", tooDeepMessage);
  }
  await next();
});
