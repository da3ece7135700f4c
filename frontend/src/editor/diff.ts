/**
 * What changed between two versions of a strategy: nodes added, removed or changed (with
 * each changed parameter), edges added and removed, settings changed. Canvas positions
 * (`ui`) are layout, not strategy, so they are left out.
 */
import { edgeId } from "./convert";
import type { GraphDoc, GraphNode } from "./types";

export interface Change {
  path: string;
  before: unknown;
  after: unknown;
}

export interface DocDiff {
  nodesAdded: GraphNode[];
  nodesRemoved: GraphNode[];
  nodesChanged: { id: string; changes: Change[] }[];
  edgesAdded: string[];
  edgesRemoved: string[];
  settings: Change[];
  other: Change[];
}

export function diffDocs(a: GraphDoc, b: GraphDoc): DocDiff {
  const before = new Map(a.nodes.map((n) => [n.id, n]));
  const after = new Map(b.nodes.map((n) => [n.id, n]));
  const nodesChanged: DocDiff["nodesChanged"] = [];
  for (const [id, nb] of after) {
    const na = before.get(id);
    if (!na) continue;
    const changes = [
      ...flatDiff("kind", na.kind, nb.kind),
      ...flatDiff("label", na.label, nb.label),
      ...flatDiff("params", na.params, nb.params),
    ];
    if (changes.length) nodesChanged.push({ id, changes });
  }
  const ea = new Set(a.edges.map(edgeId));
  const eb = new Set(b.edges.map(edgeId));
  return {
    nodesAdded: b.nodes.filter((n) => !before.has(n.id)),
    nodesRemoved: a.nodes.filter((n) => !after.has(n.id)),
    nodesChanged,
    edgesAdded: [...eb].filter((e) => !ea.has(e)),
    edgesRemoved: [...ea].filter((e) => !eb.has(e)),
    settings: flatDiff("settings", a.settings, b.settings),
    other: [
      ...flatDiff("name", a.name, b.name),
      ...flatDiff("description", a.description, b.description),
    ],
  };
}

export function diffIsEmpty(d: DocDiff): boolean {
  return (
    !d.nodesAdded.length &&
    !d.nodesRemoved.length &&
    !d.nodesChanged.length &&
    !d.edgesAdded.length &&
    !d.edgesRemoved.length &&
    !d.settings.length &&
    !d.other.length
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Leaf-by-leaf differences of two JSON values; arrays compare whole. */
export function flatDiff(path: string, a: unknown, b: unknown): Change[] {
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => flatDiff(`${path}.${k}`, a[k], b[k]));
  }
  if (JSON.stringify(a ?? null) === JSON.stringify(b ?? null)) return [];
  return [{ path, before: a ?? null, after: b ?? null }];
}
