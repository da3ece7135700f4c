/** The strategy graph document (docs/strategy-language.md) as the editor handles it. */

export type PortType = "number" | "bool" | "event";

export const NODE_KINDS = [
  "source",
  "indicator",
  "constant",
  "math",
  "condition",
  "logic",
  "time",
  "entry",
  "exit",
  "action",
  "loop",
] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

export type Params = Record<string, unknown>;

/** Where the editor keeps a node's canvas position: the document's free-form `ui` field. */
export interface NodeUi {
  x?: number;
  y?: number;
  [key: string]: unknown;
}

export interface GraphNode {
  id: string;
  kind: NodeKind;
  params: Params;
  label?: string;
  ui?: NodeUi;
}

export interface GraphEdge {
  from: string;
  to: string;
}

export interface Level {
  value: number;
  unit: "points" | "percent";
}

export interface RiskSettings {
  stop_loss?: Level | null;
  target?: Level | null;
  trailing_stop?: Level | null;
  max_trades_per_day?: number | null;
  daily_max_loss?: number | null;
  per_trade_max_loss?: number | null;
  square_off?: string | null;
  cooldown_bars?: number | null;
  min_hold_bars?: number | null;
}

export interface GraphSettings {
  timeframe?: string;
  risk?: RiskSettings;
}

export interface GraphDoc {
  schema_version: number;
  name?: string;
  description?: string;
  settings: GraphSettings;
  nodes: GraphNode[];
  edges: GraphEdge[];
  ui?: Record<string, unknown>;
}

/** One entry of `GET /api/indicators`. */
export interface IndicatorParam {
  name: string;
  type: "int" | "float";
  default: number;
  min: number;
  max: number;
  help?: string;
}

export interface IndicatorEntry {
  name: string;
  group: string;
  display_name: string;
  origin?: string;
  inputs: { name: string; default: string | null }[];
  parameters: IndicatorParam[];
  outputs: { name: string; type: string }[];
}

export type Catalogue = ReadonlyMap<string, IndicatorEntry>;

/** A validation error or warning as `/api/strategies/{id}/validate` reports it. */
export interface Problem {
  node: string | null;
  field: string;
  message: string;
  code?: string;
}

export function emptyDoc(name = ""): GraphDoc {
  return { schema_version: 1, name, settings: { timeframe: "1m", risk: {} }, nodes: [], edges: [] };
}

/** A stored graph as the editor's document type; missing lists become empty. */
export function normaliseGraph(raw: unknown): GraphDoc {
  const g = (raw ?? {}) as Partial<GraphDoc>;
  return {
    ...g,
    schema_version: g.schema_version ?? 1,
    settings: g.settings ?? {},
    nodes: Array.isArray(g.nodes) ? g.nodes : [],
    edges: Array.isArray(g.edges) ? g.edges : [],
  };
}
