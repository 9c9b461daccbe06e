/** The result table (console + markdown) and the hand-rolled SVG chart of scenario 6. */
import { fmt } from "./stats.ts";

export type Cell = number | string | undefined;

export interface Row {
  scenario: string;
  metric: string;
  platformEmbedded?: Cell;
  platformReal?: Cell;
  baselineNode?: Cell;
  baselineBun?: Cell;
  /** Platform ÷ baseline (Node); which platform mode is said in `ratioOf`. */
  ratio?: number;
  ratioOf?: string;
  target?: string;
  status?: "met" | "missed" | "";
  note?: string;
  digits?: number;
}

const header = ["#", "metric", "platform embedded", "platform NATS+PG", "baseline Node", "baseline Bun", "ratio vs Node", "target", "status"];

export function renderTable(rows: Row[]): string {
  const lines = [`| ${header.join(" | ")} |`, `|${header.map((_h, i) => (i < 2 ? "---" : "---:")).join("|")}|`];
  for (const r of rows) {
    const ratio = r.ratio === undefined || !Number.isFinite(r.ratio) ? "—" : `${fmt(r.ratio, 2)}×${r.ratioOf ? ` (${r.ratioOf})` : ""}`;
    lines.push(
      `| ${[
        r.scenario,
        r.metric,
        fmt(r.platformEmbedded, r.digits),
        fmt(r.platformReal, r.digits),
        fmt(r.baselineNode, r.digits),
        fmt(r.baselineBun, r.digits),
        ratio,
        r.target ?? "",
        r.status === "met" ? "met" : r.status === "missed" ? "**missed**" : "",
      ].join(" | ")} |`,
    );
  }
  return lines.join("\n");
}

export interface Series {
  name: string;
  color: string;
  dashed?: boolean;
  points: { x: number; y: number }[];
}

/** Two line charts side by side (p99 and CPU against sockets), plain SVG. */
export function growthSvg(panels: { title: string; yLabel: string; log?: boolean; series: Series[] }[], xLabel = "sockets"): string {
  const W = 460;
  const H = 300;
  const m = { l: 56, r: 16, t: 34, b: 46 };
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const parts: string[] = [];
  panels.forEach((p, pi) => {
    const ox = pi * W;
    const xs = p.series.flatMap((s) => s.points.map((q) => q.x));
    const ys = p.series.flatMap((s) => s.points.map((q) => q.y)).filter(Number.isFinite);
    const xMin = Math.min(...xs, 0);
    const xMax = Math.max(...xs, 1);
    const yMax = p.log ? 10 ** Math.ceil(Math.log10(Math.max(...ys, 10))) : niceMax(Math.max(...ys, 1));
    const yMin = p.log ? 10 ** Math.floor(Math.log10(Math.max(Math.min(...ys.filter((y) => y > 0), yMax), 0.1))) : 0;
    const frac = (y: number) => (p.log ? (Math.log10(Math.max(y, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin) || 1) : y / yMax);
    const sx = (x: number) => ox + m.l + ((x - xMin) / (xMax - xMin)) * (W - m.l - m.r);
    const sy = (y: number) => m.t + (1 - frac(y)) * (H - m.t - m.b);
    parts.push(`<text x="${ox + W / 2}" y="20" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`);
    const ticks = p.log ? Array.from({ length: Math.round(Math.log10(yMax / yMin)) + 1 }, (_, i) => yMin * 10 ** i) : Array.from({ length: 6 }, (_, i) => (yMax * i) / 5);
    for (const y of ticks) {
      parts.push(`<line x1="${ox + m.l}" x2="${ox + W - m.r}" y1="${sy(y)}" y2="${sy(y)}" stroke="#ddd"/>`);
      parts.push(`<text x="${ox + m.l - 6}" y="${sy(y) + 4}" text-anchor="end" font-size="11">${fmt(y, y < 10 ? 1 : 0)}</text>`);
    }
    for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
      parts.push(`<line x1="${sx(x)}" x2="${sx(x)}" y1="${H - m.b}" y2="${H - m.b + 4}" stroke="#333"/>`);
      parts.push(`<text x="${sx(x)}" y="${H - m.b + 17}" text-anchor="middle" font-size="11">${x}</text>`);
    }
    parts.push(`<line x1="${ox + m.l}" x2="${ox + W - m.r}" y1="${H - m.b}" y2="${H - m.b}" stroke="#333"/>`);
    parts.push(`<line x1="${ox + m.l}" x2="${ox + m.l}" y1="${m.t}" y2="${H - m.b}" stroke="#333"/>`);
    parts.push(`<text x="${ox + (W + m.l) / 2}" y="${H - 8}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`);
    parts.push(`<text transform="translate(${ox + 14},${(H - m.b + m.t) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(p.yLabel)}</text>`);
    p.series.forEach((s, si) => {
      const pts = s.points.filter((q) => Number.isFinite(q.y));
      if (pts.length)
        parts.push(
          `<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,4"' : ""} points="${pts.map((q) => `${sx(q.x).toFixed(1)},${sy(q.y).toFixed(1)}`).join(" ")}"/>`,
        );
      for (const q of pts) parts.push(`<circle cx="${sx(q.x).toFixed(1)}" cy="${sy(q.y).toFixed(1)}" r="3" fill="${s.color}"/>`);
      const ly = m.t + 4 + si * 15;
      parts.push(`<rect x="${ox + m.l + 10}" y="${ly}" width="10" height="10" fill="${s.color}"/>`);
      parts.push(`<text x="${ox + m.l + 25}" y="${ly + 9}" font-size="11">${esc(s.name)}</text>`);
    });
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W * panels.length}" height="${H}" viewBox="0 0 ${W * panels.length} ${H}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join("\n")}\n</svg>\n`;
}

function niceMax(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const k of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (k * p >= v) return k * p;
  return 10 * p;
}
