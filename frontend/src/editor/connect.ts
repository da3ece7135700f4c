/**
 * Port typing rules for drawing an edge, checked while the user drags (React Flow's
 * isValidConnection) so a wrong connection never reaches the document.
 */
import { nodePorts } from "./kinds";
import type { Catalogue, GraphDoc, GraphEdge } from "./types";

export interface ConnectionLike {
  source: string | null;
  sourceHandle?: string | null;
  target: string | null;
  targetHandle?: string | null;
}

export type Verdict = { ok: true; edge: GraphEdge } | { ok: false; reason: string };

/** Whether `conn` may become an edge of `doc`, and why not. */
export function checkConnection(
  doc: GraphDoc,
  conn: ConnectionLike,
  catalogue: Catalogue,
): Verdict {
  const { source, target, sourceHandle, targetHandle } = conn;
  if (!source || !target || !sourceHandle || !targetHandle)
    return { ok: false, reason: "connect an output port to an input port" };
  if (source === target) return { ok: false, reason: "a node cannot feed itself" };
  const from = doc.nodes.find((n) => n.id === source);
  const to = doc.nodes.find((n) => n.id === target);
  if (!from || !to) return { ok: false, reason: "unknown node" };
  const out = nodePorts(from, catalogue).outputs.find((p) => p.name === sourceHandle);
  const inp = nodePorts(to, catalogue).inputs.find((p) => p.name === targetHandle);
  if (!out) return { ok: false, reason: `${source} has no output '${sourceHandle}'` };
  if (!inp) return { ok: false, reason: `${target} has no input '${targetHandle}'` };
  if (out.type !== inp.type)
    return {
      ok: false,
      reason: `${target}.${targetHandle} expects ${inp.type}, but ${source}.${sourceHandle} is ${out.type}`,
    };
  const to_ = `${target}.${targetHandle}`;
  const taken = doc.edges.find((e) => e.to === to_);
  if (taken) return { ok: false, reason: `${to_} is already fed by ${taken.from}` };
  if (reaches(doc, target, source))
    return { ok: false, reason: `${source} already depends on ${target}: that would be a cycle` };
  return { ok: true, edge: { from: `${source}.${sourceHandle}`, to: to_ } };
}

/** Is `goal` downstream of `start` (following edges forward)? */
function reaches(doc: GraphDoc, start: string, goal: string): boolean {
  const next = new Map<string, string[]>();
  for (const e of doc.edges) {
    const a = nodeOf(e.from);
    const b = nodeOf(e.to);
    next.set(a, [...(next.get(a) ?? []), b]);
  }
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length) {
    const id = stack.pop() as string;
    if (id === goal) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(next.get(id) ?? []));
  }
  return false;
}

export function nodeOf(ref: string): string {
  const dot = ref.indexOf(".");
  return dot < 0 ? ref : ref.slice(0, dot);
}

export function portOf(ref: string): string {
  const dot = ref.indexOf(".");
  return dot < 0 ? "" : ref.slice(dot + 1);
}
