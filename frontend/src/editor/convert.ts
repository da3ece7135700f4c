/**
 * Graph document ↔ React Flow: the document is the one source of truth (undo/redo keeps
 * its snapshots); the canvas is derived from it, and edits come back as document edits.
 */
import type { Edge, Node } from "@xyflow/react";

import { nodeOf, portOf } from "./connect";
import { nodePorts, type Ports } from "./kinds";
import type { Catalogue, GraphDoc, GraphEdge, GraphNode, Problem } from "./types";

export interface StrategyNodeData extends Record<string, unknown> {
  node: GraphNode;
  ports: Ports;
  problems: Problem[];
}
export type StrategyFlowNode = Node<StrategyNodeData, "strategy">;

export const NODE_W = 200;
export const COL_GAP = 260;
export const ROW_GAP = 130;

export function edgeId(e: GraphEdge): string {
  return `${e.from}->${e.to}`;
}

/** Canvas nodes and edges for a document; nodes without `ui` positions get a layered layout. */
export function docToFlow(
  doc: GraphDoc,
  catalogue: Catalogue,
  problems: Problem[] = [],
  selected: ReadonlySet<string> = new Set(),
): { nodes: StrategyFlowNode[]; edges: Edge[] } {
  const auto = layeredPositions(doc);
  const nodes = doc.nodes.map((n): StrategyFlowNode => {
    const pos = hasPosition(n) ? { x: n.ui.x, y: n.ui.y } : (auto.get(n.id) ?? { x: 0, y: 0 });
    return {
      id: n.id,
      type: "strategy",
      position: pos,
      selected: selected.has(n.id),
      data: {
        node: n,
        ports: nodePorts(n, catalogue),
        problems: problems.filter((p) => p.node === n.id),
      },
    };
  });
  const edges = doc.edges.map((e): Edge => ({
    id: edgeId(e),
    source: nodeOf(e.from),
    sourceHandle: portOf(e.from),
    target: nodeOf(e.to),
    targetHandle: portOf(e.to),
    selected: selected.has(edgeId(e)),
  }));
  return { nodes, edges };
}

function hasPosition(n: GraphNode): n is GraphNode & { ui: { x: number; y: number } } {
  return typeof n.ui?.x === "number" && typeof n.ui.y === "number";
}

/** Column = longest path from a node without inputs; rows in document order. */
export function layeredPositions(doc: GraphDoc): Map<string, { x: number; y: number }> {
  const incoming = new Map<string, string[]>();
  for (const e of doc.edges) {
    const to = nodeOf(e.to);
    incoming.set(to, [...(incoming.get(to) ?? []), nodeOf(e.from)]);
  }
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0; // a cycle (the validator reports it); do not loop
    visiting.add(id);
    const d = Math.max(-1, ...(incoming.get(id) ?? []).map(depthOf)) + 1;
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  const rows = new Map<number, number>();
  const out = new Map<string, { x: number; y: number }>();
  for (const n of doc.nodes) {
    const d = depthOf(n.id);
    const row = rows.get(d) ?? 0;
    rows.set(d, row + 1);
    out.set(n.id, { x: d * COL_GAP, y: row * ROW_GAP });
  }
  return out;
}

/** The document with every node holding its canvas position in `ui` (what Save stores). */
export function withPositions(doc: GraphDoc): GraphDoc {
  const auto = layeredPositions(doc);
  return {
    ...doc,
    nodes: doc.nodes.map((n) =>
      hasPosition(n) ? n : { ...n, ui: { ...n.ui, ...(auto.get(n.id) ?? { x: 0, y: 0 }) } },
    ),
  };
}

// ---- document edits (pure; each returns a new document) ----

export function addNode(doc: GraphDoc, node: GraphNode): GraphDoc {
  return { ...doc, nodes: [...doc.nodes, node] };
}

export function addEdge(doc: GraphDoc, edge: GraphEdge): GraphDoc {
  if (doc.edges.some((e) => e.from === edge.from && e.to === edge.to)) return doc;
  return { ...doc, edges: [...doc.edges, edge] };
}

/** Removes nodes with their edges, and edges by id. */
export function removeItems(
  doc: GraphDoc,
  nodeIds: Iterable<string>,
  edgeIds: Iterable<string>,
): GraphDoc {
  const nodes = new Set(nodeIds);
  const edges = new Set(edgeIds);
  if (nodes.size === 0 && edges.size === 0) return doc;
  return {
    ...doc,
    nodes: doc.nodes.filter((n) => !nodes.has(n.id)),
    edges: doc.edges.filter(
      (e) => !edges.has(edgeId(e)) && !nodes.has(nodeOf(e.from)) && !nodes.has(nodeOf(e.to)),
    ),
  };
}

export function moveNode(doc: GraphDoc, id: string, x: number, y: number): GraphDoc {
  return updateNode(doc, id, (n) => ({
    ...n,
    ui: { ...n.ui, x: Math.round(x), y: Math.round(y) },
  }));
}

export function updateNode(
  doc: GraphDoc,
  id: string,
  change: (n: GraphNode) => GraphNode,
): GraphDoc {
  return { ...doc, nodes: doc.nodes.map((n) => (n.id === id ? change(n) : n)) };
}

/**
 * Replaces a node's params; edges into ports the node no longer has are dropped (e.g. a
 * condition switched from `crosses_above` to `rising` loses its `b` input).
 */
export function setNodeParams(
  doc: GraphDoc,
  id: string,
  params: GraphNode["params"],
  catalogue: Catalogue,
): GraphDoc {
  const next = updateNode(doc, id, (n) => ({ ...n, params }));
  const node = next.nodes.find((n) => n.id === id);
  if (!node) return doc;
  const ports = nodePorts(node, catalogue);
  const ins = new Set(ports.inputs.map((p) => p.name));
  const outs = new Set(ports.outputs.map((p) => p.name));
  return {
    ...next,
    edges: next.edges.filter(
      (e) =>
        (nodeOf(e.to) !== id || ins.has(portOf(e.to))) &&
        (nodeOf(e.from) !== id || outs.has(portOf(e.from))),
    ),
  };
}

/** Replaces whatever feeds `node.port` with `from` (or nothing). */
export function rewire(doc: GraphDoc, nodeId: string, port: string, from: string | null): GraphDoc {
  const to = `${nodeId}.${port}`;
  const edges: GraphEdge[] = doc.edges.filter((e) => e.to !== to);
  if (from !== null && nodeOf(from) !== nodeId) edges.push({ from, to });
  return { ...doc, edges };
}
