import type { Row } from "./report.ts";
import type { SideKind } from "./servers.ts";

export interface GrowthPoint {
  side: SideKind;
  sockets: number;
  p50: number;
  p99: number;
  /** Server process CPU, % of one core. */
  cpu: number;
  /** Server + NATS + Postgres CPU. */
  cpuTotal: number;
}

export interface Ctx {
  rows: Row[];
  notes: string[];
  /** Raw figures per scenario, written to the results file as JSON. */
  raw: Record<string, unknown>;
  growth?: GrowthPoint[];
  log(msg: string): void;
}

/** Run the listed sides one after another (never concurrently: 2 cores). */
export const sidesFrom = (envName: string, dflt: SideKind[]): SideKind[] => (process.env[envName]?.split(",") as SideKind[] | undefined) ?? dflt;

/** The sides in the order of a round: reversed every other round, so no side always runs first (or last) on the shared box. */
export const inRoundOrder = <T>(sides: T[], round: number): T[] => (round % 2 ? [...sides].reverse() : sides);

/** A side's server env written `A=1;B=x=y` (a value may hold `=` or `:`, e.g. a URL). */
export const parseSideEnv = (spec: string): Record<string, string> =>
  Object.fromEntries(
    spec
      .split(";")
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );

/**
 * The sides of a quick A/B tool, a comma list of `kind` or `kind:ENV` (`parseSideEnv`):
 * `platform-real:SERVICE_QUEUE_BUDGET_MS=0,platform-real`. The env may hold URLs: only the first
 * colon separates it from the kind.
 */
export const parseSides = (list: string): { spec: string; kind: SideKind; env: Record<string, string> }[] =>
  list.split(",").map((spec) => {
    const at = spec.indexOf(":");
    return at < 0 ? { spec, kind: spec as SideKind, env: {} } : { spec, kind: spec.slice(0, at) as SideKind, env: parseSideEnv(spec.slice(at + 1)) };
  });

export function put(row: Partial<Record<SideKind, number | string>>): Pick<import("./report.ts").Row, "platformEmbedded" | "platformReal" | "baselineNode" | "baselineBun"> {
  return { platformEmbedded: row["platform-embedded"], platformReal: row["platform-real"], baselineNode: row["baseline-node"], baselineBun: row["baseline-bun"] };
}
