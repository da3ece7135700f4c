/**
 * "Backtest this combination": the sweep's pinned graph with one row's parameters, and the
 * backtest request that runs it over the sweep's instrument, dates and run settings.
 */
import type { GraphDoc } from "../../editor/types";

export type Row = Record<string, unknown>;

/** The swept parameter paths of a sweep (`grid.params` as stored). */
export function sweptParams(grid: unknown): string[] {
  const params = (grid as { params?: unknown } | null)?.params;
  return params && typeof params === "object" ? Object.keys(params) : [];
}

/** `graph` with each "node.param" of `params` set; an unknown node is an error naming it. */
export function graphWithParams(graph: GraphDoc, params: Record<string, unknown>): GraphDoc {
  const nodes = graph.nodes.map((n) => ({ ...n, params: { ...n.params } }));
  for (const [path, value] of Object.entries(params)) {
    const dot = path.indexOf(".");
    const node = nodes.find((n) => n.id === path.slice(0, dot));
    if (dot < 1 || !node) throw new Error(`the strategy has no node for '${path}'`);
    node.params[path.slice(dot + 1)] = value;
  }
  return { ...graph, nodes };
}

/** A row's swept values (the other keys are statistics). */
export function rowParams(row: Row, paths: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of paths) {
    const v = row[p];
    if (typeof v !== "number") throw new Error(`the row has no value for '${p}'`);
    out[p] = v;
  }
  return out;
}

const PASSED = [
  "capital",
  "fees",
  "margin",
  "fill",
  "stop_first",
  "allow_long",
  "allow_short",
  "pyramiding",
  "end_of_data",
];

/**
 * The request fields of a stored run config: what the server filled in is sent back as it
 * is, minus what only the server derives (the dated lot symbol, the instrument's tick).
 */
export function configToRequest(config: unknown): Record<string, unknown> {
  const c = (config ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of PASSED) if (c[k] !== undefined && c[k] !== null) out[k] = c[k];
  if (c.sizing && typeof c.sizing === "object") {
    const { mode, value, lot_size } = c.sizing as Record<string, unknown>;
    out.sizing = { mode, value, ...(lot_size !== undefined ? { lot_size } : {}) };
  }
  if (c.slippage && typeof c.slippage === "object") {
    const { ticks, bps } = c.slippage as Record<string, unknown>;
    out.slippage = { ticks: ticks ?? 0, bps: bps ?? 0 };
  }
  return out;
}
