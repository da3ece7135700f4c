/** The selected node's parameter form and input wiring (a keyboard path to every edit). */
import { checkConnection } from "./connect";
import { DAY_NAMES, nodePorts, normaliseParams, paramFields, type FieldSpec } from "./kinds";
import { NumberField, SelectField, TimeField } from "./fields";
import type { Catalogue, GraphDoc, GraphNode, Params, Problem } from "./types";

interface Props {
  doc: GraphDoc;
  node: GraphNode;
  catalogue: Catalogue;
  problems: Problem[];
  onParams: (params: Params, key: string) => void;
  onWire: (port: string, from: string | null) => void;
  onDelete: () => void;
}

export function Inspector({ doc, node, catalogue, problems, onParams, onWire, onDelete }: Props) {
  const fields = paramFields(node, catalogue);
  const set = (key: string, value: unknown) => {
    const next: GraphNode = { ...node, params: { ...node.params, [key]: value } };
    if (value === null || value === undefined) delete next.params[key];
    // A new op or type brings its own parameters (and drops the old ones).
    const structural = key === "op" || key === "type";
    onParams(
      structural ? normaliseParams(next, catalogue) : next.params,
      `param:${node.id}.${key}`,
    );
  };
  const entry =
    node.kind === "indicator"
      ? catalogue.get(String(node.params.indicator).toUpperCase())
      : undefined;
  return (
    <section className="inspector" aria-label={`Node ${node.id}`} data-testid="inspector">
      <h3>
        {node.id} <small>{node.kind}</small>
      </h3>
      {entry && (
        <p className="muted">
          {entry.display_name} · {entry.group}
        </p>
      )}
      {problems.length > 0 && (
        <ul className="problems">
          {problems.map((p, i) => (
            <li key={i} className={p.code && p.code !== "invalid_graph" ? "warning" : "error"}>
              {p.field}: {p.message}
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={(e) => e.preventDefault()}>
        {fields.map((f) => (
          <ParamField key={f.key} field={f} node={node} set={set} />
        ))}
      </form>
      <Wiring doc={doc} node={node} catalogue={catalogue} onWire={onWire} />
      <button type="button" className="danger" onClick={onDelete} data-testid="delete-node">
        Delete node
      </button>
    </section>
  );
}

function ParamField({
  field: f,
  node,
  set,
}: {
  field: FieldSpec;
  node: GraphNode;
  set: (k: string, v: unknown) => void;
}) {
  const raw = node.params[f.key];
  const testId = `param-${f.key}`;
  switch (f.type) {
    case "choice":
      return (
        <SelectField
          label={f.label}
          value={typeof raw === "string" ? raw : ""}
          options={f.options}
          emptyLabel={f.optional ? "—" : undefined}
          onChange={(v) => set(f.key, v === "" ? null : v)}
          testId={testId}
        />
      );
    case "int":
    case "float":
      return (
        <NumberField
          label={f.label}
          value={typeof raw === "number" ? raw : null}
          kind={f.type}
          min={f.min}
          max={f.max}
          optional={f.optional}
          help={f.help}
          onChange={(v) => set(f.key, v)}
          testId={testId}
        />
      );
    case "time":
      return (
        <TimeField
          label={f.label}
          value={typeof raw === "string" ? raw : null}
          onChange={(v) => set(f.key, v)}
          testId={testId}
        />
      );
    case "days": {
      const days = Array.isArray(raw) ? raw.map(String) : [];
      return (
        <fieldset className="field days">
          <legend>{f.label}</legend>
          {DAY_NAMES.map((d) => (
            <label key={d}>
              <input
                type="checkbox"
                checked={days.includes(d)}
                onChange={(e) =>
                  set(
                    f.key,
                    e.target.checked
                      ? DAY_NAMES.filter((x) => x === d || days.includes(x))
                      : days.filter((x) => x !== d),
                  )
                }
              />
              {d}
            </label>
          ))}
        </fieldset>
      );
    }
    case "constant": {
      const mode = typeof raw === "boolean" ? String(raw) : "number";
      return (
        <>
          <SelectField
            label="Kind of value"
            value={mode}
            options={["number", "true", "false"]}
            onChange={(v) => set(f.key, v === "number" ? 0 : v === "true")}
          />
          {mode === "number" && (
            <NumberField
              label={f.label}
              value={typeof raw === "number" ? raw : 0}
              kind="float"
              onChange={(v) => set(f.key, v ?? 0)}
              testId={testId}
            />
          )}
        </>
      );
    }
  }
}

/** For each input port, a list of the outputs that may feed it (same type, no cycle). */
function Wiring({
  doc,
  node,
  catalogue,
  onWire,
}: {
  doc: GraphDoc;
  node: GraphNode;
  catalogue: Catalogue;
  onWire: (port: string, from: string | null) => void;
}) {
  const inputs = nodePorts(node, catalogue).inputs;
  if (!inputs.length) return null;
  return (
    <fieldset className="wiring">
      <legend>Inputs</legend>
      {inputs.map((port) => {
        const to = `${node.id}.${port.name}`;
        const current = doc.edges.find((e) => e.to === to);
        const without: GraphDoc = { ...doc, edges: doc.edges.filter((e) => e.to !== to) };
        const options: string[] = [];
        for (const other of doc.nodes) {
          for (const out of nodePorts(other, catalogue).outputs) {
            const v = checkConnection(
              without,
              {
                source: other.id,
                sourceHandle: out.name,
                target: node.id,
                targetHandle: port.name,
              },
              catalogue,
            );
            if (v.ok) options.push(`${other.id}.${out.name}`);
          }
        }
        if (current && !options.includes(current.from)) options.unshift(current.from);
        const hint = port.required
          ? port.type
          : `${port.type}, optional${node.kind === "indicator" ? " (reads the bars)" : ""}`;
        return (
          <SelectField
            key={port.name}
            label={`${port.name} (${hint})`}
            value={current?.from ?? ""}
            options={options}
            emptyLabel="— not connected —"
            onChange={(v) => onWire(port.name, v === "" ? null : v)}
            testId={`wire-${port.name}`}
          />
        );
      })}
    </fieldset>
  );
}
