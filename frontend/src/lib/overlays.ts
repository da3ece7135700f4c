/** Indicator overlays for the price chart, from the run's pinned strategy graph: the moving
 * averages (EMA, SMA) whose input is a price field, computed in the browser from the same
 * candles (the API serves no indicator series). Other indicators are listed, not drawn. */
import { ema, sma } from "../charts/series";

interface GraphNode {
  id: string;
  kind: string;
  params?: Record<string, unknown>;
}
interface GraphEdge {
  from: string;
  to: string;
}

export interface OverlaySpec {
  name: string;
  kind: "EMA" | "SMA";
  period: number;
  field: "open" | "high" | "low" | "close";
}

const FIELDS = new Set(["open", "high", "low", "close"]);

export function overlaySpecs(graph: unknown): OverlaySpec[] {
  const g = (graph ?? {}) as { nodes?: GraphNode[]; edges?: GraphEdge[] };
  const nodes = new Map((g.nodes ?? []).map((n) => [n.id, n]));
  const out: OverlaySpec[] = [];
  for (const n of g.nodes ?? []) {
    const kind = String(n.params?.indicator ?? "").toUpperCase();
    const period = Number(n.params?.timeperiod ?? 30);
    if (n.kind !== "indicator" || (kind !== "EMA" && kind !== "SMA") || !(period > 0)) continue;
    const input = (g.edges ?? []).find((e) => e.to.split(".")[0] === n.id);
    const src = input ? nodes.get(input.from.split(".")[0] ?? "") : undefined;
    const field = String(src?.params?.field ?? "close");
    if (src && src.kind !== "source") continue; // fed by another node: not a plain price MA
    if (!FIELDS.has(field)) continue;
    out.push({ name: `${kind} ${period}`, kind, period, field: field as OverlaySpec["field"] });
  }
  return out;
}

export function overlayValues(
  spec: OverlaySpec,
  candles: { o: number[]; h: number[]; l: number[]; c: number[] },
): (number | null)[] {
  const series = { open: candles.o, high: candles.h, low: candles.l, close: candles.c }[spec.field];
  return spec.kind === "EMA" ? ema(series, spec.period) : sma(series, spec.period);
}
