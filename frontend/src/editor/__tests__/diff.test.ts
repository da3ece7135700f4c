import { describe, expect, it } from "vitest";

import { diffDocs, diffIsEmpty } from "../diff";
import { emaCross } from "./fixtures";

describe("version diff", () => {
  it("is empty for equal documents and ignores canvas positions", () => {
    const b = emaCross();
    b.nodes[0]!.ui = { x: 999, y: 1 };
    expect(diffIsEmpty(diffDocs(emaCross(), b))).toBe(true);
  });

  it("lists added, removed and changed nodes, edges and settings", () => {
    const a = emaCross();
    const b = emaCross();
    b.nodes[1]!.params = { indicator: "EMA", timeperiod: 60 };
    b.nodes = b.nodes.filter((n) => n.id !== "buy_1");
    b.nodes.push({ id: "sell_1", kind: "action", params: { type: "sell", quantity: 1 } });
    b.edges = b.edges.filter((e) => e.to !== "buy_1.trigger");
    b.edges.push({ from: "go_long_1.fire", to: "sell_1.trigger" });
    b.settings = { timeframe: "5m", risk: { stop_loss: null, square_off: "15:15" } };
    const d = diffDocs(a, b);
    expect(d.nodesAdded.map((n) => n.id)).toEqual(["sell_1"]);
    expect(d.nodesRemoved.map((n) => n.id)).toEqual(["buy_1"]);
    expect(d.nodesChanged).toEqual([
      { id: "ema_2", changes: [{ path: "params.timeperiod", before: 50, after: 60 }] },
    ]);
    expect(d.edgesAdded).toEqual(["go_long_1.fire->sell_1.trigger"]);
    expect(d.edgesRemoved).toEqual(["go_long_1.fire->buy_1.trigger"]);
    expect(d.settings).toEqual([
      { path: "settings.risk.square_off", before: null, after: "15:15" },
      { path: "settings.risk.stop_loss", before: { value: 1, unit: "percent" }, after: null },
      { path: "settings.timeframe", before: "1m", after: "5m" },
    ]);
    expect(diffIsEmpty(d)).toBe(false);
  });
});
