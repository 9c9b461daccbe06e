import { afterAll, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The seed apps' own hook usage, copied unchanged out of the seed documents into `seed-snippets/`
 * (kept as .txt so the workspace typecheck skips them), must
 * type-check against this package: seed 001's `useRealTimeSync({...})` component and seed 004's
 * `useSocketConnection()`. Their `@/hooks/...` imports point at this package, as an app would
 * after replacing its hook files with one-line re-exports.
 */
const SNIPPETS = join(import.meta.dir, "seed-snippets");
const DIR = join(import.meta.dir, "../.seeds-check");
const TSC = join(import.meta.dir, "../../../node_modules/.bin/tsc");

function snippet(seed: string, marker: string): string {
  const block = readFileSync(join(SNIPPETS, `seed${seed}.tsx.txt`), "utf8");
  if (!block.includes(marker)) throw new Error(`seed ${seed}: the snippet lost ${marker}`);
  return block;
}

afterAll(() => rmSync(DIR, { recursive: true, force: true }));

test("seed 001's useRealTimeSync and seed 004's useSocketConnection usage type-check unchanged against @rt/react", async () => {
  const s001 = snippet("001", "useRealTimeSync({");
  const s004 = snippet("004", "useSocketConnection();");
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(join(DIR, "hooks"), { recursive: true });
  writeFileSync(join(DIR, "hooks/useRealTimeSync.ts"), `export { useRealTimeSync } from "@rt/react";\n`);
  writeFileSync(join(DIR, "hooks/useSocketConnection.ts"), `export { useSocketConnection } from "@rt/react";\n`);
  writeFileSync(join(DIR, "seed001.tsx"), s001);
  // The seed shows App.tsx's body; its import line is the app's own.
  writeFileSync(join(DIR, "seed004.tsx"), `import { useSocketConnection } from "@/hooks/useSocketConnection";\n${s004}\nexport { AppContent };\n`);
  writeFileSync(
    join(DIR, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "Preserve",
        moduleResolution: "bundler",
        jsx: "react-jsx",
        lib: ["ES2022", "DOM"],
        types: ["bun"], // the workspace sources (contracts) use Buffer
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        allowImportingTsExtensions: true,
        paths: { "@/*": ["./*"] },
      },
      files: ["seed001.tsx", "seed004.tsx"],
    }),
  );
  expect(s001).toContain("const { isConnected, socket } = useRealTimeSync({");
  const proc = Bun.spawn([TSC, "-p", join(DIR, "tsconfig.json")], { stdout: "pipe", stderr: "pipe" });
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  expect(out).toBe("");
  expect(code).toBe(0);
}, 60_000);
