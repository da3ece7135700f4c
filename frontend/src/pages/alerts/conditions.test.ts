import { describe, expect, it } from "vitest";
import { conditionGraph, simpleOf } from "./conditions";

describe("market alert conditions", () => {
  it("builds the documented close-crosses-EMA graph", () => {
    const g = conditionGraph({
      timeframe: "5m",
      op: "crosses_above",
      indicator: "EMA",
      period: 20,
      value: 0,
    });
    expect(g).toEqual({
      schema_version: 1,
      settings: { timeframe: "5m" },
      nodes: [
        { id: "close", kind: "source", params: { field: "close" } },
        { id: "ma", kind: "indicator", params: { indicator: "EMA", timeperiod: 20 } },
        { id: "cmp", kind: "condition", params: { op: "crosses_above" } },
        { id: "fire", kind: "entry", params: { side: "long" } },
      ],
      edges: [
        { from: "close.out", to: "cmp.a" },
        { from: "close.out", to: "ma.price" },
        { from: "ma.out", to: "cmp.b" },
        { from: "cmp.out", to: "fire.when" },
      ],
    });
  });

  it("reads back what it built", () => {
    const c = {
      timeframe: "15m",
      op: ">" as const,
      indicator: "value" as const,
      period: 20,
      value: 24000,
    };
    expect(simpleOf(conditionGraph(c))).toEqual(c);
  });
});
