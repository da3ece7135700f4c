import { describe, expect, it } from "vitest";

import {
  addEdge,
  docToFlow,
  layeredPositions,
  moveNode,
  removeItems,
  setNodeParams,
  withPositions,
} from "../convert";
import { catalogue, emaCross } from "./fixtures";

describe("document → React Flow", () => {
  it("makes one canvas node per graph node, with ports and its problems", () => {
    const doc = emaCross();
    const problems = [
      { node: "cond_1", field: "inputs.b", message: "required input is not connected" },
    ];
    const { nodes, edges } = docToFlow(doc, catalogue, problems, new Set(["ema_1"]));
    expect(nodes.map((n) => n.id)).toEqual(["ema_1", "ema_2", "cond_1", "go_long_1", "buy_1"]);
    expect(nodes[0]).toMatchObject({ type: "strategy", position: { x: 0, y: 0 }, selected: true });
    expect(nodes[2]?.data.problems).toEqual(problems);
    expect(nodes[0]?.data.problems).toEqual([]);
    expect(nodes[2]?.data.ports.inputs.map((p) => p.name)).toEqual(["a", "b"]);
    expect(edges[0]).toMatchObject({
      id: "ema_1.out->cond_1.a",
      source: "ema_1",
      sourceHandle: "out",
      target: "cond_1",
      targetHandle: "a",
    });
  });

  it("lays out nodes without positions in columns by depth", () => {
    const pos = layeredPositions(emaCross());
    expect(pos.get("ema_1")).toEqual({ x: 0, y: 0 });
    expect(pos.get("ema_2")).toEqual({ x: 0, y: 130 });
    expect(pos.get("cond_1")?.x).toBe(260);
    expect(pos.get("go_long_1")?.x).toBe(520);
    expect(pos.get("buy_1")?.x).toBe(780);
    const { nodes } = docToFlow(emaCross(), catalogue);
    expect(nodes[3]?.position).toEqual({ x: 520, y: 0 });
  });

  it("survives a cycle", () => {
    const doc = emaCross();
    doc.edges.push({ from: "cond_1.out", to: "ema_1.price" });
    expect(layeredPositions(doc).size).toBe(5);
  });
});

describe("React Flow edits → document", () => {
  it("stores positions in ui, rounded", () => {
    const doc = moveNode(emaCross(), "cond_1", 300.6, 40.2);
    expect(doc.nodes[2]?.ui).toEqual({ x: 301, y: 40 });
    const all = withPositions(emaCross());
    expect(all.nodes.every((n) => typeof n.ui?.x === "number")).toBe(true);
    expect(all.nodes[0]?.ui).toEqual({ x: 0, y: 0 });
  });

  it("removes a node with its edges, and an edge by id", () => {
    let doc = removeItems(emaCross(), ["cond_1"], []);
    expect(doc.nodes.map((n) => n.id)).not.toContain("cond_1");
    expect(doc.edges).toEqual([{ from: "go_long_1.fire", to: "buy_1.trigger" }]);
    doc = removeItems(emaCross(), [], ["ema_2.out->cond_1.b"]);
    expect(doc.edges).toHaveLength(3);
  });

  it("adds an edge once", () => {
    const doc = emaCross();
    expect(addEdge(doc, { from: "ema_1.out", to: "cond_1.a" })).toBe(doc);
  });

  it("drops edges into ports a param change removed", () => {
    const doc = setNodeParams(emaCross(), "cond_1", { op: "rising", n: 3 }, catalogue);
    expect(doc.edges.map((e) => e.to)).toEqual(["cond_1.a", "go_long_1.when", "buy_1.trigger"]);
  });
});
