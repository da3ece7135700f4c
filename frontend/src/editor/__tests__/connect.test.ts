import { describe, expect, it } from "vitest";

import { checkConnection } from "../connect";
import { catalogue, emaCross } from "./fixtures";

const conn = (source: string, sourceHandle: string, target: string, targetHandle: string) => ({
  source,
  sourceHandle,
  target,
  targetHandle,
});

describe("checkConnection", () => {
  const doc = emaCross();
  doc.nodes.push({ id: "exit_long_1", kind: "exit", params: { side: "long" } });
  doc.nodes.push({ id: "cond_2", kind: "condition", params: { op: "crosses_below" } });

  it("accepts equal port types into a free input", () => {
    expect(checkConnection(doc, conn("ema_1", "out", "cond_2", "a"), catalogue)).toEqual({
      ok: true,
      edge: { from: "ema_1.out", to: "cond_2.a" },
    });
    expect(checkConnection(doc, conn("cond_2", "out", "exit_long_1", "when"), catalogue).ok).toBe(
      true,
    );
  });

  it("refuses a number into a bool input, naming both ends", () => {
    const v = checkConnection(doc, conn("ema_1", "out", "exit_long_1", "when"), catalogue);
    expect(v).toEqual({
      ok: false,
      reason: "exit_long_1.when expects bool, but ema_1.out is number",
    });
  });

  it("refuses an event anywhere but an action or loop", () => {
    expect(checkConnection(doc, conn("go_long_1", "fire", "cond_2", "a"), catalogue).ok).toBe(
      false,
    );
  });

  it("refuses a second edge into one input", () => {
    const v = checkConnection(doc, conn("ema_2", "out", "cond_1", "a"), catalogue);
    expect(v).toEqual({ ok: false, reason: "cond_1.a is already fed by ema_1.out" });
  });

  it("refuses self loops, cycles, unknown ports and half connections", () => {
    expect(checkConnection(doc, conn("cond_2", "out", "cond_2", "a"), catalogue).ok).toBe(false);
    const cyc = emaCross();
    cyc.nodes.push({ id: "m", kind: "math", params: { op: "abs" } });
    cyc.edges.push({ from: "ema_1.out", to: "m.a" });
    cyc.nodes[0]!.params = { indicator: "MAVP", minperiod: 2 };
    const v = checkConnection(cyc, conn("m", "out", "ema_1", "periods"), catalogue);
    expect(v).toEqual({ ok: false, reason: "m already depends on ema_1: that would be a cycle" });
    expect(checkConnection(doc, conn("ema_1", "nope", "cond_2", "a"), catalogue).ok).toBe(false);
    expect(checkConnection(doc, conn("ema_1", "out", "cond_2", "c"), catalogue).ok).toBe(false);
    expect(
      checkConnection(doc, { source: "ema_1", sourceHandle: "out", target: null }, catalogue).ok,
    ).toBe(false);
  });
});
