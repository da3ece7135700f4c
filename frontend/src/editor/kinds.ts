/**
 * The node kinds of the strategy language as the editor needs them: typed ports, the
 * parameter form of each kind (depending on its `op`/`type`), defaults and labels.
 * Mirrors engine/graph/schema.py and params.py; the server stays the judge (validate).
 */
import type { Catalogue, GraphDoc, GraphNode, NodeKind, Params, PortType } from "./types";

export const PRICE_FIELDS = ["open", "high", "low", "close", "volume", "hl2", "hlc3", "ohlc4"];
export const TIMEFRAMES = ["1m", "3m", "5m", "10m", "15m", "30m", "1h", "2h", "1d"];
const MATH_BINARY = ["add", "sub", "mul", "div", "min", "max"];
const MATH_UNARY = ["abs", "neg"];
const MATH_WINDOW = ["lag", "highest", "lowest"];
const MATH_SESSION = ["session_high", "session_low", "opening_high", "opening_low"];
const COND_BINARY = [
  "gt",
  "gte",
  "lt",
  "lte",
  "eq",
  "neq",
  "crosses_above",
  "crosses_below",
  "crosses",
];
const COND_WINDOW = ["rising", "falling"];
const LOGIC_OPS = ["and", "or", "xor", "not"];
const TIME_OPS = ["session_window", "day_of_week", "nth_bar", "expiry_day"];
export const DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const SIDES = ["long", "short"];
const ORDER_ACTIONS = ["buy", "sell", "short", "cover"];
const ACTION_TYPES = [...ORDER_ACTIONS, "wait", "option_leg"];
const UNDERLYINGS = ["NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "SENSEX"];
const MAX_WINDOW = 100_000;

export interface InputPort {
  name: string;
  type: PortType;
  required: boolean;
}
export interface OutputPort {
  name: string;
  type: PortType;
}
export interface Ports {
  inputs: InputPort[];
  outputs: OutputPort[];
}

/** (inputs, outputs) of a node, as engine.graph.schema.node_ports answers them. */
export function nodePorts(node: GraphNode, catalogue: Catalogue): Ports {
  const op = node.params.op;
  const num = (names: string[]): InputPort[] =>
    names.map((name) => ({ name, type: "number", required: true }));
  switch (node.kind) {
    case "source":
      return { inputs: [], outputs: [{ name: "out", type: "number" }] };
    case "constant":
      return {
        inputs: [],
        outputs: [
          { name: "out", type: typeof node.params.value === "boolean" ? "bool" : "number" },
        ],
      };
    case "math":
      return {
        inputs: num(MATH_BINARY.includes(String(op)) ? ["a", "b"] : ["a"]),
        outputs: [{ name: "out", type: "number" }],
      };
    case "condition": {
      let names = ["a", "b"];
      if (op === "between") names = ["a", "low", "high"];
      else if (COND_WINDOW.includes(String(op))) names = ["a"];
      return { inputs: num(names), outputs: [{ name: "out", type: "bool" }] };
    }
    case "logic": {
      const names = op === "not" ? ["a"] : ["a", "b", "c", "d"];
      return {
        inputs: names.map((name) => ({
          name,
          type: "bool",
          required: name === "a" || name === "b" || op === "not",
        })),
        outputs: [{ name: "out", type: "bool" }],
      };
    }
    case "time":
      return { inputs: [], outputs: [{ name: "out", type: "bool" }] };
    case "entry":
    case "exit":
      return {
        inputs: [{ name: "when", type: "bool", required: true }],
        outputs: [{ name: "fire", type: "event" }],
      };
    case "action":
      return {
        inputs: [{ name: "trigger", type: "event", required: true }],
        outputs: [{ name: "next", type: "event" }],
      };
    case "loop":
      return { inputs: [{ name: "entry", type: "event", required: true }], outputs: [] };
    case "indicator": {
      const entry = catalogue.get(String(node.params.indicator ?? "").toUpperCase());
      if (!entry) return { inputs: [], outputs: [] };
      return {
        // An unwired input with a default reads that field of the bars, so it is optional.
        inputs: entry.inputs.map((i) => ({
          name: i.name,
          type: "number",
          required: i.default === null,
        })),
        outputs: entry.outputs.map((o) => ({ name: o.name, type: "number" })),
      };
    }
  }
}

export type FieldSpec =
  | { key: string; label: string; type: "choice"; options: string[]; optional?: boolean }
  | {
      key: string;
      label: string;
      type: "int" | "float";
      min: number;
      max: number;
      default: number;
      optional?: boolean;
      help?: string;
    }
  | { key: string; label: string; type: "time"; default: string }
  | { key: string; label: string; type: "days"; default: string[] }
  | { key: string; label: string; type: "constant" };

const int = (
  key: string,
  label: string,
  min: number,
  max: number,
  dflt: number,
  optional = false,
): FieldSpec => ({ key, label, type: "int", min, max, default: dflt, optional });
const choice = (key: string, label: string, options: string[], optional = false): FieldSpec => ({
  key,
  label,
  type: "choice",
  options,
  optional,
});

/** The parameter form of a node; which fields exist depends on its op/type. */
export function paramFields(node: GraphNode, catalogue: Catalogue): FieldSpec[] {
  const p = node.params;
  switch (node.kind) {
    case "source":
      return [
        choice("field", "Field", PRICE_FIELDS),
        choice("timeframe", "Timeframe (higher, optional)", TIMEFRAMES, true),
      ];
    case "indicator": {
      const entry = catalogue.get(String(p.indicator ?? "").toUpperCase());
      if (!entry) return [];
      return entry.parameters.map((q) => ({
        key: q.name,
        label: q.help ? `${q.name} — ${q.help}` : q.name,
        type: q.type,
        min: q.min,
        max: q.max,
        default: q.default,
        help: q.help,
      }));
    }
    case "constant":
      return [{ key: "value", label: "Value", type: "constant" }];
    case "math": {
      const fields = [
        choice("op", "Operation", [...MATH_BINARY, ...MATH_UNARY, ...MATH_WINDOW, ...MATH_SESSION]),
      ];
      if (MATH_WINDOW.includes(String(p.op)))
        fields.push(int("n", "Bars (n)", 1, MAX_WINDOW, p.op === "lag" ? 1 : 20));
      if (p.op === "opening_high" || p.op === "opening_low")
        fields.push(int("minutes", "Opening range minutes", 1, 375, 15));
      return fields;
    }
    case "condition": {
      const fields = [choice("op", "Condition", [...COND_BINARY, ...COND_WINDOW, "between"])];
      if (COND_WINDOW.includes(String(p.op))) fields.push(int("n", "Bars (n)", 1, MAX_WINDOW, 3));
      return fields;
    }
    case "logic":
      return [choice("op", "Logic", LOGIC_OPS)];
    case "time":
      return timeFields(String(p.op));
    case "entry":
    case "exit":
      return [choice("side", "Side", SIDES)];
    case "action":
      return actionFields(String(p.type));
    case "loop":
      return [
        int("max_reentries", "Re-entries per session", 0, 1000, 1),
        int("cooldown_bars", "Cooldown bars", 0, 100_000, 0),
      ];
  }
}

function timeFields(op: string): FieldSpec[] {
  const fields = [choice("op", "Time rule", TIME_OPS)];
  if (op === "session_window") {
    fields.push({ key: "start", label: "From (IST)", type: "time", default: "09:30" });
    fields.push({ key: "end", label: "Until (IST)", type: "time", default: "15:00" });
  } else if (op === "day_of_week") {
    fields.push({ key: "days", label: "Days", type: "days", default: DAY_NAMES.slice(0, 5) });
  } else if (op === "nth_bar") {
    fields.push(int("n", "Bar of the session (1 = first)", 1, 10_000, 1));
  } else if (op === "expiry_day") {
    fields.push(choice("underlying", "Underlying", UNDERLYINGS));
    fields.push(choice("expiry", "Expiry", ["any", "weekly", "monthly"]));
  }
  return fields;
}

function actionFields(type: string): FieldSpec[] {
  const fields = [choice("type", "Action", ACTION_TYPES)];
  if (ORDER_ACTIONS.includes(type)) fields.push(int("quantity", "Lots", 1, 100_000, 1));
  else if (type === "wait") fields.push(int("bars", "Wait bars", 1, 100_000, 1));
  else if (type === "option_leg") {
    fields.push(
      choice("position", "Position", ["buy", "sell"]),
      choice("option_type", "Option type", ["CE", "PE"]),
      choice("strike", "Strike", ["ATM"]),
      int("offset", "Strikes from ATM", -100, 100, 0),
      choice("expiry", "Expiry", ["weekly", "monthly"]),
      int("lots", "Lots", 1, 10_000, 1),
      choice("underlying", "Underlying (optional)", UNDERLYINGS, true),
    );
  }
  return fields;
}

const FIRST_CHOICE: Record<string, string> = {
  field: "close",
  underlying: "NIFTY",
  expiry: "weekly",
  position: "sell",
  option_type: "PE",
  strike: "ATM",
};

function fieldDefault(f: FieldSpec, node: GraphNode): unknown {
  switch (f.type) {
    case "choice":
      if (node.kind === "time" && f.key === "expiry") return "any";
      return FIRST_CHOICE[f.key] ?? f.options[0];
    case "constant":
      return 0;
    default:
      return f.default;
  }
}

/**
 * Params with every field of the current op present (defaults filled in) and none of
 * another op's: the validator refuses parameters a node does not have.
 */
export function normaliseParams(node: GraphNode, catalogue: Catalogue): Params {
  const fields = paramFields(node, catalogue);
  const out: Params = {};
  if (node.kind === "indicator") out.indicator = node.params.indicator;
  for (const f of fields) {
    const optional = "optional" in f && f.optional === true;
    if (f.key in node.params && node.params[f.key] !== undefined) out[f.key] = node.params[f.key];
    else if (!optional) out[f.key] = fieldDefault(f, node);
  }
  // An unknown indicator keeps what it had: its parameters cannot be known.
  if (node.kind === "indicator" && fields.length === 0) return { ...node.params };
  return out;
}

export interface PaletteItem {
  kind: NodeKind;
  label: string;
  hint: string;
  params: Params;
}

/** Node kinds offered by the palette (indicators come from the catalogue). */
export const PALETTE: PaletteItem[] = [
  { kind: "source", label: "Price", hint: "open, high, low, close …", params: { field: "close" } },
  { kind: "constant", label: "Number", hint: "a fixed value", params: { value: 0 } },
  { kind: "math", label: "Math", hint: "add, lag, highest …", params: { op: "sub" } },
  {
    kind: "condition",
    label: "Condition",
    hint: "crosses above, >, rising …",
    params: { op: "crosses_above" },
  },
  { kind: "logic", label: "Logic", hint: "and, or, not", params: { op: "and" } },
  {
    kind: "time",
    label: "Time",
    hint: "session window, weekday …",
    params: { op: "session_window", start: "09:30", end: "15:00" },
  },
  { kind: "entry", label: "Entry", hint: "opens a position", params: { side: "long" } },
  { kind: "exit", label: "Exit", hint: "closes a position", params: { side: "long" } },
  {
    kind: "action",
    label: "Buy",
    hint: "order under a long entry",
    params: { type: "buy", quantity: 1 },
  },
  {
    kind: "action",
    label: "Sell",
    hint: "order under a long exit",
    params: { type: "sell", quantity: 1 },
  },
  {
    kind: "action",
    label: "Short",
    hint: "order under a short entry",
    params: { type: "short", quantity: 1 },
  },
  {
    kind: "action",
    label: "Cover",
    hint: "order under a short exit",
    params: { type: "cover", quantity: 1 },
  },
  {
    kind: "loop",
    label: "Re-entry",
    hint: "re-arm an entry",
    params: { max_reentries: 1, cooldown_bars: 0 },
  },
];

/** A node for a palette item or indicator, with a fresh id and all default params. */
export function newNode(
  doc: GraphDoc,
  kind: NodeKind,
  params: Params,
  catalogue: Catalogue,
  at: { x: number; y: number },
): GraphNode {
  const base = idBase(kind, params);
  const draft: GraphNode = { id: freeId(doc, base), kind, params: { ...params } };
  draft.params = normaliseParams(draft, catalogue);
  draft.ui = { x: Math.round(at.x), y: Math.round(at.y) };
  return draft;
}

function idBase(kind: NodeKind, params: Params): string {
  if (kind === "indicator")
    return String(params.indicator)
      .toLowerCase()
      .replace(/[^a-z0-9_]/g, "_");
  if (kind === "source") return String(params.field ?? "price");
  if (kind === "action") return String(params.type ?? "action");
  if (kind === "condition") return "cond";
  if (kind === "entry") return "go_" + String(params.side ?? "long");
  if (kind === "exit") return "exit_" + String(params.side ?? "long");
  return kind;
}

/** `base_1`, `base_2` … the first id no node has (ids never contain dots). */
export function freeId(doc: GraphDoc, base: string): string {
  const taken = new Set(doc.nodes.map((n) => n.id));
  for (let i = 1; ; i++) {
    const id = `${base}_${i}`;
    if (!taken.has(id)) return id;
  }
}

const OP_WORDS: Record<string, string> = {
  gt: ">",
  gte: "≥",
  lt: "<",
  lte: "≤",
  eq: "=",
  neq: "≠",
  crosses_above: "crosses above",
  crosses_below: "crosses below",
};

/** One line saying what the node does, e.g. "EMA(20)", "crosses above", "buy 1 lot". */
export function nodeSummary(node: GraphNode): string {
  const p = node.params;
  switch (node.kind) {
    case "indicator": {
      const vals = Object.entries(p)
        .filter(([k]) => k !== "indicator")
        .map(([, v]) => String(v));
      return `${String(p.indicator)}(${vals.join(", ")})`;
    }
    case "source":
      return p.timeframe ? `${String(p.field)} · ${String(p.timeframe)}` : String(p.field);
    case "constant":
      return String(p.value);
    case "condition":
    case "math":
    case "logic": {
      const op = OP_WORDS[String(p.op)] ?? String(p.op).replace(/_/g, " ");
      return "n" in p
        ? `${op} ${String(p.n)}`
        : "minutes" in p
          ? `${op} ${String(p.minutes)}m`
          : op;
    }
    case "time":
      if (p.op === "session_window") return `${String(p.start)}–${String(p.end)} IST`;
      if (p.op === "day_of_week") return Array.isArray(p.days) ? p.days.join(", ") : "days";
      return String(p.op).replace(/_/g, " ");
    case "entry":
      return `enter ${String(p.side)}`;
    case "exit":
      return `exit ${String(p.side)}`;
    case "action":
      if (ORDER_ACTIONS.includes(String(p.type)))
        return `${String(p.type)} ${String(p.quantity ?? 1)} lot${p.quantity === 1 ? "" : "s"}`;
      if (p.type === "wait") return `wait ${String(p.bars)} bars`;
      return `${String(p.position)} ${String(p.option_type)} ATM${Number(p.offset) ? `${Number(p.offset) > 0 ? "+" : ""}${String(p.offset)}` : ""}`;
    case "loop":
      return `re-enter ×${String(p.max_reentries)}`;
  }
}

/** Numeric parameters a sweep can vary ("node.param"): structural keys are not tunable. */
export function tunableParams(
  doc: GraphDoc,
  catalogue: Catalogue,
): {
  path: string;
  node: string;
  key: string;
  type: "int" | "float";
  min: number;
  max: number;
  value: number;
}[] {
  const out = [];
  for (const node of doc.nodes) {
    for (const f of paramFields(node, catalogue)) {
      if (f.type !== "int" && f.type !== "float") continue;
      const raw = node.params[f.key];
      const value = typeof raw === "number" ? raw : f.default;
      out.push({
        path: `${node.id}.${f.key}`,
        node: node.id,
        key: f.key,
        type: f.type,
        min: f.min,
        max: f.max,
        value,
      });
    }
  }
  return out;
}
