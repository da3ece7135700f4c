import { describe, expect, it } from "vitest";

import { shortField } from "../problems";

describe("problem fields", () => {
  it("drop the node path already shown by the node the problem sits on", () => {
    expect(shortField("ema_1", "graph.nodes.ema_1.params.timeperiod")).toBe("params.timeperiod");
    expect(shortField("cross", "graph.nodes.cross.inputs.b")).toBe("inputs.b");
    expect(shortField(null, "graph.settings.risk.square_off")).toBe("settings.risk.square_off");
    expect(shortField("x", "inputs.a")).toBe("inputs.a");
    expect(shortField(null, undefined)).toBe("");
  });
});
