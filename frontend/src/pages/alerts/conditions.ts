/** A market-alert condition from a simple form ("close crosses above EMA 20 on 5m"), as
 * the strategy-language graph a market rule takes (docs/notifications.md). */
export interface SimpleCondition {
  timeframe: string;
  op: "crosses_above" | "crosses_below" | ">" | "<";
  indicator: "EMA" | "SMA" | "value";
  period: number;
  value: number;
}

export function conditionGraph(c: SimpleCondition): Record<string, unknown> {
  const nodes: Record<string, unknown>[] = [
    { id: "close", kind: "source", params: { field: "close" } },
  ];
  const edges: { from: string; to: string }[] = [{ from: "close.out", to: "cmp.a" }];
  if (c.indicator === "value") {
    nodes.push({ id: "level", kind: "constant", params: { value: c.value } });
    nodes.push({ id: "cmp", kind: "condition", params: { op: c.op } });
    edges.push({ from: "level.out", to: "cmp.b" });
  } else {
    nodes.push({
      id: "ma",
      kind: "indicator",
      params: { indicator: c.indicator, timeperiod: c.period },
    });
    nodes.push({ id: "cmp", kind: "condition", params: { op: c.op } });
    edges.push({ from: "close.out", to: "ma.price" }, { from: "ma.out", to: "cmp.b" });
  }
  nodes.push({ id: "fire", kind: "entry", params: { side: "long" } });
  edges.push({ from: "cmp.out", to: "fire.when" });
  return { schema_version: 1, settings: { timeframe: c.timeframe }, nodes, edges };
}

/** The form's reading of a stored condition, or null when it is not one the form made. */
export function simpleOf(graph: unknown): SimpleCondition | null {
  const g = graph as {
    settings?: { timeframe?: string };
    nodes?: { id: string; kind: string; params?: Record<string, unknown> }[];
  };
  const cmp = g?.nodes?.find((n) => n.id === "cmp");
  const ma = g?.nodes?.find((n) => n.id === "ma");
  const level = g?.nodes?.find((n) => n.id === "level");
  if (!cmp || (g.nodes?.length ?? 0) > 4) return null;
  return {
    timeframe: g.settings?.timeframe ?? "5m",
    op: (cmp.params?.op as SimpleCondition["op"]) ?? "crosses_above",
    indicator: ma ? ((ma.params?.indicator as "EMA" | "SMA") ?? "EMA") : "value",
    period: Number(ma?.params?.timeperiod ?? 20),
    value: Number(level?.params?.value ?? 0),
  };
}
