import { dirname, join } from "node:path";

export interface ClientBundle {
  /** The client SDK (with socket.io-client) as one minified browser ES module. */
  code: string;
  /** `@rt/client`'s package version. */
  version: string;
  /** Strong ETag of the code: a new build (or version) is a new tag. */
  etag: string;
}

/** Built once per process on first use (Bun.build, about 10-50 ms) and kept in memory. */
let bundle: Promise<ClientBundle> | undefined;
export function clientBundle(): Promise<ClientBundle> {
  bundle ??= (async () => {
    const entry = Bun.resolveSync("@rt/client", import.meta.dir);
    const { version } = (await Bun.file(join(dirname(entry), "../package.json")).json()) as { version: string };
    const result = await Bun.build({ entrypoints: [entry], target: "browser", format: "esm", minify: true });
    const out = result.outputs[0];
    if (!result.success || !out) throw new Error(`client bundle failed: ${result.logs.map(String).join("; ")}`);
    const code = await out.text();
    const hash = new Bun.CryptoHasher("sha256").update(code).digest("base64url").slice(0, 16);
    return { code, version, etag: `"${version}-${hash}"` };
  })().catch((err) => {
    bundle = undefined; // try again on the next request
    throw err;
  });
  return bundle;
}

/**
 * `GET /client.js` (every environment, like Socket.IO's own `/socket.io/socket.io.js`): cacheable
 * for an hour, revalidated by ETag (304), with the SDK version in `X-Client-Version`.
 */
export async function clientJsResponse(ifNoneMatch: string | undefined): Promise<Response> {
  const b = await clientBundle();
  const headers = {
    "content-type": "text/javascript; charset=utf-8",
    "cache-control": "public, max-age=3600",
    etag: b.etag,
    "x-client-version": b.version,
  };
  if (ifNoneMatch?.split(",").some((t) => t.trim() === b.etag)) return new Response(null, { status: 304, headers });
  return new Response(b.code, { headers });
}
