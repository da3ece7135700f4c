/**
 * The sweep form's grid: rows of "node.param" ranges or lists → the `grid` and
 * `constraint` of `POST /api/backtest/sweeps`, with the combination count shown before
 * submitting (counted like engine.sweep.grid_size; the server re-checks everything).
 */

export interface GridRow {
  path: string;
  mode: "range" | "list";
  start: string;
  stop: string;
  step: string;
  list: string;
}

export type GridValue = { start: number; stop: number; step: number } | number[];

export interface FieldError {
  field: string;
  message: string;
}

export type GridBuild =
  | { ok: true; grid: Record<string, GridValue>; values: Record<string, number[]>; count: number }
  | { ok: false; errors: FieldError[] };

export const MAX_VALUES_PER_PARAM = 1000;

const CONSTRAINT = /^\s*([\w.-]+)\s*(<=|>=|<|>|==|!=)\s*([\w.-]+)\s*$/;
type Op = "<" | "<=" | ">" | ">=" | "==" | "!=";
const OPS: Record<Op, (a: number, b: number) => boolean> = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "==": (a, b) => a === b,
  "!=": (a, b) => a !== b,
};

/** start, start+step … up to stop included (as engine.sweep's ranges). */
export function rangeValues(start: number, stop: number, step: number): number[] {
  const count = Math.floor((stop - start) / step + 1e-9) + 1;
  // Rounded so 0.1 steps read 0.3, not 0.30000000000000004.
  return Array.from({ length: count }, (_, k) => Number((start + k * step).toPrecision(12)));
}

function num(text: string): number | null {
  if (text.trim() === "") return null;
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}

function rowValues(
  row: GridRow,
  errors: FieldError[],
): { spec: GridValue; values: number[] } | null {
  const field = `grid.${row.path}`;
  if (row.mode === "list") {
    const parts = row.list.split(/[\s,]+/).filter(Boolean);
    const values = parts.map(num);
    if (!values.length || values.some((v) => v === null)) {
      errors.push({ field, message: "give numbers separated by commas, e.g. 10, 20, 50" });
      return null;
    }
    if (values.length > MAX_VALUES_PER_PARAM) {
      errors.push({ field, message: `at most ${MAX_VALUES_PER_PARAM} values` });
      return null;
    }
    const list = values as number[];
    return { spec: list, values: list };
  }
  const [start, stop, step] = [num(row.start), num(row.stop), num(row.step)];
  if (start === null || stop === null || step === null) {
    errors.push({ field, message: "give numbers for from, to and step" });
    return null;
  }
  if (step <= 0 || stop < start) {
    errors.push({ field, message: "from must be at most to, and the step above 0" });
    return null;
  }
  if ((stop - start) / step + 1 > MAX_VALUES_PER_PARAM) {
    errors.push({ field, message: `more than ${MAX_VALUES_PER_PARAM} values; use a larger step` });
    return null;
  }
  return { spec: { start, stop, step }, values: rangeValues(start, stop, step) };
}

export function buildGrid(rows: GridRow[], constraint: string): GridBuild {
  const errors: FieldError[] = [];
  if (!rows.length)
    return { ok: false, errors: [{ field: "grid", message: "pick a parameter to sweep" }] };
  const grid: Record<string, GridValue> = {};
  const values: Record<string, number[]> = {};
  for (const row of rows) {
    if (!row.path) {
      errors.push({ field: "grid", message: "every row needs a parameter" });
      continue;
    }
    if (row.path in grid) {
      errors.push({ field: `grid.${row.path}`, message: "is listed twice" });
      continue;
    }
    const got = rowValues(row, errors);
    if (got) {
      grid[row.path] = got.spec;
      values[row.path] = got.values;
    }
  }
  if (errors.length) return { ok: false, errors };
  const count = countCombinations(values, constraint);
  if (typeof count === "string")
    return { ok: false, errors: [{ field: "constraint", message: count }] };
  if (count === 0)
    return {
      ok: false,
      errors: [{ field: "constraint", message: "no combination passes the constraint" }],
    };
  return { ok: true, grid, values, count };
}

/** Combinations passing `constraint` ('' for none), or the reason the constraint is bad. */
export function countCombinations(
  values: Record<string, number[]>,
  constraint: string,
): number | string {
  const paths = Object.keys(values);
  if (!constraint.trim()) return paths.reduce((n, p) => n * (values[p]?.length ?? 0), 1);
  const m = CONSTRAINT.exec(constraint);
  if (!m) return "write it as 'node.a < node.b' (or <=, >, >=, ==, !=)";
  const [, left = "", op = "<", right = ""] = m;
  for (const side of [left, right])
    if (!paths.includes(side) && !Number.isFinite(Number(side)))
      return `'${side}' is not a swept parameter`;
  const compare = OPS[op as Op];
  const others = paths
    .filter((p) => p !== left && p !== right)
    .reduce((n, p) => n * (values[p]?.length ?? 0), 1);
  const xs = values[left] ?? [Number(left)];
  const ys = left === right ? null : (values[right] ?? [Number(right)]);
  let passing = 0;
  if (ys === null) passing = xs.filter((x) => compare(x, x)).length;
  else for (const x of xs) for (const y of ys) if (compare(x, y)) passing++;
  return others * passing;
}

/** A row pre-filled around the parameter's current value, inside its allowed range. */
export function defaultRow(
  path: string,
  value: number,
  type: "int" | "float",
  min: number,
  max: number,
): GridRow {
  const step =
    type === "int" ? Math.max(1, Math.round(Math.abs(value) / 4)) : Math.abs(value) / 4 || 0.5;
  const lo = Math.max(min, value - 2 * step);
  const hi = Math.min(max, value + 2 * step);
  const fmt = (v: number): string => String(Number(v.toPrecision(6)));
  return { path, mode: "range", start: fmt(lo), stop: fmt(hi), step: fmt(step), list: "" };
}
