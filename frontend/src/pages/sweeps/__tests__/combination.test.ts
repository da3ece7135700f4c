import { describe, expect, it } from "vitest";

import { emaCross } from "../../../editor/__tests__/fixtures";
import { configToRequest, graphWithParams, rowParams, sweptParams } from "../combination";

describe("backtest this combination", () => {
  it("sets the row's parameters on a copy of the graph", () => {
    const g = emaCross();
    const out = graphWithParams(g, { "ema_1.timeperiod": 12, "ema_2.timeperiod": 40 });
    expect(out.nodes[0]?.params).toEqual({ indicator: "EMA", timeperiod: 12 });
    expect(out.nodes[1]?.params).toEqual({ indicator: "EMA", timeperiod: 40 });
    expect(g.nodes[0]?.params.timeperiod).toBe(20);
    expect(() => graphWithParams(g, { "nope.x": 1 })).toThrow("no node for 'nope.x'");
  });

  it("reads the swept values of a row", () => {
    const grid = { params: { "a.x": [1, 2], "b.y": [3] }, constraint: null };
    expect(sweptParams(grid)).toEqual(["a.x", "b.y"]);
    expect(sweptParams(null)).toEqual([]);
    expect(rowParams({ "a.x": 2, "b.y": 3, sharpe: 1 }, ["a.x", "b.y"])).toEqual({
      "a.x": 2,
      "b.y": 3,
    });
    expect(() => rowParams({ "a.x": 2 }, ["a.x", "b.y"])).toThrow("'b.y'");
  });

  it("turns a stored config into request fields the API accepts", () => {
    const stored = {
      capital: "500000",
      fees: { model: "india_futures", params: {} },
      sizing: { mode: "lots", value: 1.0, lot_symbol: "NIFTY" },
      slippage: { ticks: 0.0, bps: 0.0, tick_size: 0.05 },
      margin: 0.12,
      end_of_data: "close_at_close",
    };
    expect(configToRequest(stored)).toEqual({
      capital: "500000",
      fees: { model: "india_futures", params: {} },
      sizing: { mode: "lots", value: 1.0 },
      slippage: { ticks: 0, bps: 0 },
      margin: 0.12,
      end_of_data: "close_at_close",
    });
    expect(configToRequest({ sizing: { mode: "fixed", value: 10, lot_size: 1 } }).sizing).toEqual({
      mode: "fixed",
      value: 10,
      lot_size: 1,
    });
  });
});
