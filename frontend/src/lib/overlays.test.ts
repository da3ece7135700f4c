import { describe, expect, it } from "vitest";
import { overlaySpecs } from "./overlays";

describe("overlays from a strategy graph", () => {
  it("finds the moving averages of a price", () => {
    const graph = {
      nodes: [
        { id: "close", kind: "source", params: { field: "close" } },
        { id: "fast", kind: "indicator", params: { indicator: "EMA", timeperiod: 20 } },
        { id: "slow", kind: "indicator", params: { indicator: "EMA", timeperiod: 50 } },
        { id: "rsi", kind: "indicator", params: { indicator: "RSI", timeperiod: 14 } },
      ],
      edges: [
        { from: "close.out", to: "fast.price" },
        { from: "close.out", to: "slow.price" },
        { from: "close.out", to: "rsi.price" },
      ],
    };
    expect(overlaySpecs(graph).map((s) => s.name)).toEqual(["EMA 20", "EMA 50"]);
  });

  it("skips a moving average of another indicator", () => {
    const graph = {
      nodes: [
        { id: "rsi", kind: "indicator", params: { indicator: "RSI" } },
        { id: "smooth", kind: "indicator", params: { indicator: "SMA", timeperiod: 5 } },
      ],
      edges: [{ from: "rsi.out", to: "smooth.price" }],
    };
    expect(overlaySpecs(graph)).toEqual([]);
  });
});
