import { describe, expect, it } from "vitest";

import {
  freeId,
  newNode,
  nodePorts,
  nodeSummary,
  normaliseParams,
  paramFields,
  tunableParams,
} from "../kinds";
import type { GraphNode } from "../types";
import { catalogue, emaCross } from "./fixtures";

const node = (kind: GraphNode["kind"], params: GraphNode["params"]): GraphNode => ({
  id: "n",
  kind,
  params,
});

describe("nodePorts", () => {
  it("types ports as the engine does", () => {
    expect(
      nodePorts(node("condition", { op: "crosses_above" }), catalogue).inputs.map((p) => p.name),
    ).toEqual(["a", "b"]);
    expect(
      nodePorts(node("condition", { op: "rising", n: 3 }), catalogue).inputs.map((p) => p.name),
    ).toEqual(["a"]);
    expect(
      nodePorts(node("condition", { op: "between" }), catalogue).inputs.map((p) => p.name),
    ).toEqual(["a", "low", "high"]);
    expect(nodePorts(node("condition", { op: "gt" }), catalogue).outputs).toEqual([
      { name: "out", type: "bool" },
    ]);
    expect(nodePorts(node("entry", { side: "long" }), catalogue).outputs).toEqual([
      { name: "fire", type: "event" },
    ]);
    expect(nodePorts(node("constant", { value: true }), catalogue).outputs[0]?.type).toBe("bool");
    expect(nodePorts(node("constant", { value: 3 }), catalogue).outputs[0]?.type).toBe("number");
    expect(nodePorts(node("math", { op: "abs" }), catalogue).inputs).toHaveLength(1);
    expect(nodePorts(node("loop", { max_reentries: 1 }), catalogue).outputs).toEqual([]);
  });

  it("takes indicator ports from the catalogue; an input without a default is required", () => {
    const ports = nodePorts(node("indicator", { indicator: "MAVP" }), catalogue);
    expect(ports.inputs).toEqual([
      { name: "price", type: "number", required: false },
      { name: "periods", type: "number", required: true },
    ]);
    const macd = nodePorts(node("indicator", { indicator: "macd" }), catalogue);
    expect(macd.outputs.map((o) => o.name)).toEqual(["macd", "signal", "hist"]);
    expect(nodePorts(node("indicator", { indicator: "NOPE" }), catalogue)).toEqual({
      inputs: [],
      outputs: [],
    });
  });

  it("marks only the first two logic inputs required, except for not", () => {
    const and = nodePorts(node("logic", { op: "and" }), catalogue).inputs;
    expect(and.map((p) => p.required)).toEqual([true, true, false, false]);
    expect(nodePorts(node("logic", { op: "not" }), catalogue).inputs).toEqual([
      { name: "a", type: "bool", required: true },
    ]);
  });
});

describe("parameter forms", () => {
  it("offers catalogue parameters with type, default and range", () => {
    const [f] = paramFields(node("indicator", { indicator: "EMA" }), catalogue);
    expect(f).toMatchObject({ key: "timeperiod", type: "int", default: 30, min: 1, max: 100000 });
  });

  it("keeps only the current op’s params and fills defaults", () => {
    expect(normaliseParams(node("math", { op: "lag", minutes: 15 }), catalogue)).toEqual({
      op: "lag",
      n: 1,
    });
    expect(normaliseParams(node("math", { op: "opening_high", n: 3 }), catalogue)).toEqual({
      op: "opening_high",
      minutes: 15,
    });
    expect(normaliseParams(node("condition", { op: "gt", n: 3 }), catalogue)).toEqual({ op: "gt" });
    expect(normaliseParams(node("time", { op: "day_of_week" }), catalogue)).toEqual({
      op: "day_of_week",
      days: ["mon", "tue", "wed", "thu", "fri"],
    });
    expect(normaliseParams(node("time", { op: "expiry_day" }), catalogue)).toEqual({
      op: "expiry_day",
      underlying: "NIFTY",
      expiry: "any",
    });
    expect(normaliseParams(node("action", { type: "wait", quantity: 2 }), catalogue)).toEqual({
      type: "wait",
      bars: 1,
    });
    expect(normaliseParams(node("indicator", { indicator: "EMA" }), catalogue)).toEqual({
      indicator: "EMA",
      timeperiod: 30,
    });
  });

  it("leaves an optional parameter out until set", () => {
    expect(normaliseParams(node("source", { field: "high" }), catalogue)).toEqual({
      field: "high",
    });
    expect(normaliseParams(node("source", { field: "high", timeframe: "15m" }), catalogue)).toEqual(
      {
        field: "high",
        timeframe: "15m",
      },
    );
  });
});

describe("new nodes", () => {
  it("get fresh ids without dots and default params", () => {
    const doc = emaCross();
    expect(freeId(doc, "ema")).toBe("ema_3");
    const n = newNode(doc, "indicator", { indicator: "EMA" }, catalogue, { x: 10.4, y: 20.6 });
    expect(n).toEqual({
      id: "ema_3",
      kind: "indicator",
      params: { indicator: "EMA", timeperiod: 30 },
      ui: { x: 10, y: 21 },
    });
    expect(newNode(doc, "exit", { side: "long" }, catalogue, { x: 0, y: 0 }).id).toBe(
      "exit_long_1",
    );
  });

  it("summarises nodes for the canvas", () => {
    expect(nodeSummary(node("indicator", { indicator: "EMA", timeperiod: 20 }))).toBe("EMA(20)");
    expect(nodeSummary(node("condition", { op: "crosses_above" }))).toBe("crosses above");
    expect(nodeSummary(node("action", { type: "buy", quantity: 1 }))).toBe("buy 1 lot");
    expect(nodeSummary(node("time", { op: "session_window", start: "09:30", end: "14:00" }))).toBe(
      "09:30–14:00 IST",
    );
  });

  it("lists the numeric parameters a sweep can vary", () => {
    const paths = tunableParams(emaCross(), catalogue).map((t) => `${t.path}=${t.value}`);
    expect(paths).toEqual(["ema_1.timeperiod=20", "ema_2.timeperiod=50", "buy_1.quantity=1"]);
  });
});
