/** Validation problems as the editor shows them. */

/** `graph.nodes.<id>.params.x` → `params.x`: the node is already named by where it shows. */
export function shortField(
  node: string | null | undefined,
  field: string | null | undefined,
): string {
  const f = field ?? "";
  if (!node) return f.replace(/^graph\./, "");
  return f.replace(`graph.nodes.${node}.`, "").replace(`nodes.${node}.`, "");
}
