/**
 * Heatmap and table logic for sweep results: rows (one per combination) binned on two
 * chosen parameters (the best metric value where other parameters vary), colours on a
 * scale where better is greener, and sorting for the table.
 */

export type Row = Record<string, unknown>;

/** Metrics where smaller is better (backtests/sweeps.py MINIMIZE); all others are maximised. */
export const MINIMIZE = new Set([
  "volatility_ann_pct",
  "max_drawdown_duration_days",
  "avg_drawdown_duration_days",
  "total_charges",
  "max_trade_duration_days",
  "avg_trade_duration_days",
]);

export interface Cell {
  x: number;
  y: number;
  value: number | null;
  /** The row the cell shows (the best one when several combinations share x and y). */
  row: Row | null;
}

export interface HeatmapGrid {
  xKey: string;
  yKey: string;
  metric: string;
  xs: number[];
  ys: number[];
  /** cells[yi][xi] */
  cells: Cell[][];
  min: number | null;
  max: number | null;
}

function numeric(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

export function better(metric: string, a: number, b: number): boolean {
  return MINIMIZE.has(metric) ? a < b : a > b;
}

export function binHeatmap(rows: Row[], xKey: string, yKey: string, metric: string): HeatmapGrid {
  const xs = [
    ...new Set(rows.map((r) => numeric(r[xKey])).filter((v): v is number => v !== null)),
  ].sort((a, b) => a - b);
  const ys = [
    ...new Set(rows.map((r) => numeric(r[yKey])).filter((v): v is number => v !== null)),
  ].sort((a, b) => a - b);
  const cells: Cell[][] = ys.map((y) => xs.map((x) => ({ x, y, value: null, row: null })));
  let min: number | null = null;
  let max: number | null = null;
  for (const r of rows) {
    const xi = xs.indexOf(numeric(r[xKey]) ?? NaN);
    const yi = ys.indexOf(numeric(r[yKey]) ?? NaN);
    const cell = cells[yi]?.[xi];
    if (!cell) continue;
    const v = numeric(r[metric]);
    if (
      cell.row === null ||
      (v !== null && (cell.value === null || better(metric, v, cell.value)))
    ) {
      cell.row = r;
      cell.value = v;
    }
  }
  for (const line of cells)
    for (const c of line)
      if (c.value !== null) {
        min = min === null ? c.value : Math.min(min, c.value);
        max = max === null ? c.value : Math.max(max, c.value);
      }
  return { xKey, yKey, metric, xs, ys, cells, min, max };
}

/** 0 = worst … 1 = best of the grid; null for an empty cell. */
export function score(
  value: number | null,
  min: number | null,
  max: number | null,
  metric: string,
): number | null {
  if (value === null || min === null || max === null) return null;
  if (max === min) return 1;
  const t = (value - min) / (max - min);
  return MINIMIZE.has(metric) ? 1 - t : t;
}

/** Red (worst) through amber to green (best); grey when there is no value. */
export function colour(s: number | null): string {
  if (s === null) return "rgb(200, 200, 200)";
  const hue = Math.round(120 * s);
  return `hsl(${hue}, 70%, ${45 + Math.round(10 * (1 - Math.abs(s - 0.5) * 2))}%)`;
}

/** Rows sorted by `key`; rows without a number sort last whichever the direction. */
export function sortRows(rows: Row[], key: string, dir: "asc" | "desc"): Row[] {
  const sign = dir === "asc" ? 1 : -1;
  return [...rows].sort((a, b) => {
    const va = numeric(a[key]);
    const vb = numeric(b[key]);
    if (va === null && vb === null) return 0;
    if (va === null) return 1;
    if (vb === null) return -1;
    return sign * (va - vb);
  });
}
