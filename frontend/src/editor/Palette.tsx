/**
 * Node kinds and the full indicator catalogue: drag an item onto the canvas, or press it
 * (mouse, Enter or Space) to add it in view. Searchable; collapses on narrow screens.
 */
import { useState, type DragEvent } from "react";

import { PALETTE } from "./kinds";
import type { IndicatorEntry, NodeKind, Params } from "./types";

export const DRAG_MIME = "application/x-algobacktester-node";

export interface PaletteDrop {
  kind: NodeKind;
  params: Params;
}

interface Props {
  indicators: IndicatorEntry[];
  onAdd: (item: PaletteDrop) => void;
  open: boolean;
  onToggle: () => void;
}

function startDrag(e: DragEvent, item: PaletteDrop) {
  e.dataTransfer.setData(DRAG_MIME, JSON.stringify(item));
  e.dataTransfer.effectAllowed = "copy";
}

export function Palette({ indicators, onAdd, open, onToggle }: Props) {
  const [search, setSearch] = useState("");
  const q = search.trim().toLowerCase();
  const blocks = PALETTE.filter(
    (p) => !q || `${p.label} ${p.hint} ${p.kind}`.toLowerCase().includes(q),
  );
  const groups = (() => {
    const found = indicators.filter(
      (i) => !q || `${i.name} ${i.display_name} ${i.group}`.toLowerCase().includes(q),
    );
    const byGroup = new Map<string, IndicatorEntry[]>();
    for (const i of found) byGroup.set(i.group, [...(byGroup.get(i.group) ?? []), i]);
    return [...byGroup.entries()].sort(([a], [b]) => a.localeCompare(b));
  })();
  const count = groups.reduce((n, [, list]) => n + list.length, 0);
  return (
    <aside
      className={`palette ${open ? "palette-open" : "palette-closed"}`}
      aria-label="Node palette"
    >
      <button
        type="button"
        className="palette-toggle"
        aria-expanded={open}
        onClick={onToggle}
        data-testid="palette-toggle"
      >
        {open ? "× Close palette" : "+ Add node"}
      </button>
      {open && (
        <div className="palette-body">
          <label className="sr-only" htmlFor="palette-search">
            Search nodes and indicators
          </label>
          <input
            id="palette-search"
            type="search"
            placeholder="Search: EMA, RSI, crosses…"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            data-testid="palette-search"
          />
          <h4>Building blocks</h4>
          <ul>
            {blocks.map((p) => {
              const item = { kind: p.kind, params: p.params };
              return (
                <li key={p.label}>
                  <button
                    type="button"
                    draggable
                    onDragStart={(e) => startDrag(e, item)}
                    onClick={() => onAdd(item)}
                    className={`palette-item pk-${p.kind}`}
                    data-testid={`palette-${p.label.toLowerCase()}`}
                    title={p.hint}
                  >
                    <strong>{p.label}</strong> <small>{p.hint}</small>
                  </button>
                </li>
              );
            })}
          </ul>
          <h4>
            Indicators <small>({count})</small>
          </h4>
          {groups.map(([group, list]) => (
            <details key={group} open={q !== ""}>
              <summary>
                {group} <small>({list.length})</small>
              </summary>
              <ul>
                {list.map((i) => {
                  const item = { kind: "indicator" as const, params: { indicator: i.name } };
                  return (
                    <li key={i.name}>
                      <button
                        type="button"
                        draggable
                        onDragStart={(e) => startDrag(e, item)}
                        onClick={() => onAdd(item)}
                        className="palette-item pk-indicator"
                        data-testid={`palette-ind-${i.name}`}
                        title={i.display_name}
                      >
                        <strong>{i.name}</strong> <small>{i.display_name}</small>
                      </button>
                    </li>
                  );
                })}
              </ul>
            </details>
          ))}
        </div>
      )}
    </aside>
  );
}
