import type { Catalogue, GraphDoc, IndicatorEntry } from "../types";

const ema: IndicatorEntry = {
  name: "EMA",
  group: "Overlap Studies",
  display_name: "Exponential Moving Average",
  inputs: [{ name: "price", default: "close" }],
  parameters: [
    { name: "timeperiod", type: "int", default: 30, min: 1, max: 100000, help: "Time period" },
  ],
  outputs: [{ name: "out", type: "number" }],
};
const macd: IndicatorEntry = {
  name: "MACD",
  group: "Momentum Indicators",
  display_name: "Moving Average Convergence/Divergence",
  inputs: [{ name: "price", default: "close" }],
  parameters: [
    { name: "fastperiod", type: "int", default: 12, min: 2, max: 100000 },
    { name: "slowperiod", type: "int", default: 26, min: 2, max: 100000 },
    { name: "signalperiod", type: "int", default: 9, min: 1, max: 100000 },
  ],
  outputs: [
    { name: "macd", type: "number" },
    { name: "signal", type: "number" },
    { name: "hist", type: "number" },
  ],
};
const mavp: IndicatorEntry = {
  name: "MAVP",
  group: "Overlap Studies",
  display_name: "Moving average with variable period",
  inputs: [
    { name: "price", default: "close" },
    { name: "periods", default: null },
  ],
  parameters: [{ name: "minperiod", type: "int", default: 2, min: 1, max: 30 }],
  outputs: [{ name: "out", type: "number" }],
};

export const catalogue: Catalogue = new Map([ema, macd, mavp].map((e) => [e.name, e]));

/** The EMA 20/50 cross: the product brief's example. */
export function emaCross(): GraphDoc {
  return {
    schema_version: 1,
    name: "EMA cross",
    settings: { timeframe: "1m", risk: { stop_loss: { value: 1, unit: "percent" } } },
    nodes: [
      {
        id: "ema_1",
        kind: "indicator",
        params: { indicator: "EMA", timeperiod: 20 },
        ui: { x: 0, y: 0 },
      },
      {
        id: "ema_2",
        kind: "indicator",
        params: { indicator: "EMA", timeperiod: 50 },
        ui: { x: 0, y: 120 },
      },
      { id: "cond_1", kind: "condition", params: { op: "crosses_above" }, ui: { x: 260, y: 60 } },
      { id: "go_long_1", kind: "entry", params: { side: "long" } },
      { id: "buy_1", kind: "action", params: { type: "buy", quantity: 1 } },
    ],
    edges: [
      { from: "ema_1.out", to: "cond_1.a" },
      { from: "ema_2.out", to: "cond_1.b" },
      { from: "cond_1.out", to: "go_long_1.when" },
      { from: "go_long_1.fire", to: "buy_1.trigger" },
    ],
  };
}
