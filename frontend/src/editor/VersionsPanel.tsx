/** Version history: every saved version, a diff of any two, and opening an old one to edit. */
import { useEffect, useState } from "react";

import { errorText } from "../api/errors";
import { formatDateTime } from "../lib/time";
import { loadVersion, loadVersions, type Version } from "./api";
import { diffDocs, diffIsEmpty, type Change, type DocDiff } from "./diff";
import type { GraphDoc } from "./types";

interface Props {
  strategyId: number;
  current: number;
  onOpen: (graph: GraphDoc, number: number) => void;
}

const show = (v: unknown): string => (v === null || v === undefined ? "—" : JSON.stringify(v));

export function VersionsPanel({ strategyId, current, onOpen }: Props) {
  const [versions, setVersions] = useState<Version[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [a, setA] = useState<number | null>(null);
  const [b, setB] = useState<number | null>(null);
  const [diff, setDiff] = useState<DocDiff | null>(null);

  useEffect(() => {
    let live = true;
    loadVersions(strategyId).then(
      (list) => {
        if (!live) return;
        setVersions(list);
        setB(list[0]?.number ?? null);
        setA(list[1]?.number ?? list[0]?.number ?? null);
      },
      (e: unknown) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [strategyId, current]);

  useEffect(() => {
    if (a === null || b === null) return;
    let live = true;
    Promise.all([loadVersion(strategyId, a), loadVersion(strategyId, b)]).then(
      ([va, vb]) => live && setDiff(diffDocs(va.graph as GraphDoc, vb.graph as GraphDoc)),
      (e: unknown) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [strategyId, a, b]);

  if (error) return <p role="alert">{error}</p>;
  if (!versions) return <p className="muted">Loading versions…</p>;
  const numbers = versions.map((v) => String(v.number));
  return (
    <section className="versions" aria-label="Version history" data-testid="versions">
      <h3>Versions</h3>
      <ol className="version-list">
        {versions.map((v) => (
          <li key={v.number}>
            <span>
              <strong>v{v.number}</strong> {formatDateTime(v.created_at)}{" "}
              <span className={v.valid ? "ok" : "bad"}>{v.valid ? "valid" : "draft"}</span>
              {v.number === current && <em> (current)</em>}
            </span>
            <button
              type="button"
              className="link"
              onClick={() =>
                void loadVersion(strategyId, v.number).then((full) =>
                  onOpen(full.graph as GraphDoc, v.number),
                )
              }
              data-testid={`open-v${v.number}`}
            >
              Open in editor
            </button>
          </li>
        ))}
      </ol>
      <h4>Compare</h4>
      <div className="compare-pick">
        <label>
          From{" "}
          <select
            value={a ?? ""}
            onChange={(e) => setA(Number(e.target.value))}
            data-testid="diff-a"
          >
            {numbers.map((n) => (
              <option key={n} value={n}>
                v{n}
              </option>
            ))}
          </select>
        </label>
        <label>
          to{" "}
          <select
            value={b ?? ""}
            onChange={(e) => setB(Number(e.target.value))}
            data-testid="diff-b"
          >
            {numbers.map((n) => (
              <option key={n} value={n}>
                v{n}
              </option>
            ))}
          </select>
        </label>
      </div>
      {diff && <DiffView diff={diff} />}
    </section>
  );
}

function Changes({ changes }: { changes: Change[] }) {
  return (
    <ul>
      {changes.map((c) => (
        <li key={c.path}>
          <code>{c.path}</code>: <del>{show(c.before)}</del> → <ins>{show(c.after)}</ins>
        </li>
      ))}
    </ul>
  );
}

export function DiffView({ diff }: { diff: DocDiff }) {
  if (diffIsEmpty(diff))
    return (
      <p className="muted" data-testid="diff">
        No differences (positions aside).
      </p>
    );
  return (
    <div className="diff" data-testid="diff">
      {diff.nodesAdded.map((n) => (
        <p key={`+${n.id}`} className="diff-add">
          + node <code>{n.id}</code> ({n.kind} {JSON.stringify(n.params)})
        </p>
      ))}
      {diff.nodesRemoved.map((n) => (
        <p key={`-${n.id}`} className="diff-del">
          − node <code>{n.id}</code> ({n.kind})
        </p>
      ))}
      {diff.nodesChanged.map((n) => (
        <div key={`~${n.id}`} className="diff-change">
          ~ node <code>{n.id}</code>
          <Changes changes={n.changes} />
        </div>
      ))}
      {diff.edgesAdded.map((e) => (
        <p key={`+${e}`} className="diff-add">
          + edge <code>{e}</code>
        </p>
      ))}
      {diff.edgesRemoved.map((e) => (
        <p key={`-${e}`} className="diff-del">
          − edge <code>{e}</code>
        </p>
      ))}
      {diff.settings.length > 0 && <Changes changes={diff.settings} />}
      {diff.other.length > 0 && <Changes changes={diff.other} />}
    </div>
  );
}
