import { Handle, Position, type NodeProps } from "@xyflow/react";
import { memo } from "react";

import type { StrategyFlowNode } from "./convert";
import { nodeSummary } from "./kinds";

/** One graph node on the canvas: typed input ports left, outputs right, its problems below. */
function StrategyNodeView({ data, selected }: NodeProps<StrategyFlowNode>) {
  const { node, ports, problems } = data;
  const errors = problems.filter((p) => !p.code || p.code === "invalid_graph");
  const warnings = problems.filter((p) => p.code && p.code !== "invalid_graph");
  const rows = Math.max(ports.inputs.length, ports.outputs.length, 1);
  const cls = [
    "sn",
    `sn-${node.kind}`,
    selected ? "sn-selected" : "",
    errors.length ? "sn-error" : warnings.length ? "sn-warning" : "",
  ].join(" ");
  return (
    <div className={cls} data-testid={`node-${node.id}`} data-kind={node.kind}>
      <div className="sn-head">
        <span className="sn-kind">{node.kind}</span>
        <span className="sn-id">{node.label ?? node.id}</span>
      </div>
      <div className="sn-summary">{nodeSummary(node)}</div>
      <div className="sn-ports" style={{ minHeight: rows * 22 }}>
        <div className="sn-col">
          {ports.inputs.map((p) => (
            <div className="sn-port sn-in" key={p.name}>
              <Handle
                type="target"
                position={Position.Left}
                id={p.name}
                className={`port port-${p.type}`}
                title={`${p.name}: ${p.type}${p.required ? "" : " (optional)"}`}
              />
              <span>
                {p.name}
                <small> {p.type}</small>
              </span>
            </div>
          ))}
        </div>
        <div className="sn-col sn-col-out">
          {ports.outputs.map((p) => (
            <div className="sn-port sn-out" key={p.name}>
              <span>
                <small>{p.type} </small>
                {p.name}
              </span>
              <Handle
                type="source"
                position={Position.Right}
                id={p.name}
                className={`port port-${p.type}`}
                title={`${p.name}: ${p.type}`}
              />
            </div>
          ))}
        </div>
      </div>
      {problems.length > 0 && (
        <ul className="sn-problems" data-testid={`problems-${node.id}`}>
          {errors.map((p, i) => (
            <li key={`e${i}`} className="sn-problem-error">
              {p.field}: {p.message}
            </li>
          ))}
          {warnings.map((p, i) => (
            <li key={`w${i}`} className="sn-problem-warning">
              {p.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export const StrategyNode = memo(StrategyNodeView);
