import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type FitViewOptions,
  type Connection,
  type Edge,
  type EdgeChange,
  type FinalConnectionState,
  type NodeChange,
} from "@xyflow/react";
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from "react";
import { Link, useNavigate } from "react-router-dom";

import { ApiError, errorText } from "../api/errors";
import { listTemplates } from "../api/strategies";
import { useAsync } from "../lib/useAsync";
import { createStrategy, saveStrategy, validateStrategy } from "./api";
import { shortField } from "./problems";
import { checkConnection } from "./connect";
import {
  addEdge,
  addNode,
  docToFlow,
  moveNode,
  removeItems,
  rewire,
  setNodeParams,
  withPositions,
  type StrategyFlowNode,
} from "./convert";
import { Inspector } from "./Inspector";
import { newNode } from "./kinds";
import { DRAG_MIME, Palette, type PaletteDrop } from "./Palette";
import { RiskForm } from "./RiskForm";
import { StrategyNode } from "./StrategyNode";
import { historyPush, historyRedo, historySeal, historyStart, historyUndo } from "./history";
import {
  normaliseGraph,
  type Catalogue,
  type GraphDoc,
  type IndicatorEntry,
  type Problem,
} from "./types";
import { VersionsPanel } from "./VersionsPanel";

const nodeTypes = { strategy: StrategyNode };
type Panel = "node" | "risk" | "versions" | "problems";

interface Props {
  strategyId: number | null;
  initialName: string;
  initialDescription: string;
  initialDoc: GraphDoc;
  initialVersion: number;
  indicators: IndicatorEntry[];
}

const typing = (t: EventTarget | null): boolean =>
  t instanceof HTMLElement &&
  (t.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(t.tagName));

/** A save's 400 names `graph.nodes.<id>.params.x`: shown on node <id> as `params.x`. */
function saveProblems(err: unknown): Problem[] {
  if (!(err instanceof ApiError)) return [];
  return err.errors.map((e) => {
    const node = e.node ?? null;
    return { node, field: shortField(node, e.field), message: e.message, code: "invalid_graph" };
  });
}

export function Editor(props: Props) {
  const { strategyId, indicators } = props;
  const navigate = useNavigate();
  const flow = useReactFlow();
  const catalogue: Catalogue = useMemo(
    () => new Map(indicators.map((i) => [i.name.toUpperCase(), i])),
    [indicators],
  );
  const [hist, setHist] = useState(() => historyStart(withPositions(props.initialDoc)));
  const doc = hist.present;
  const [name, setName] = useState(props.initialName);
  const [description] = useState(props.initialDescription);
  const [savedJson, setSavedJson] = useState(() =>
    props.strategyId === null ? "" : JSON.stringify(withPositions(props.initialDoc)),
  );
  const [savedName, setSavedName] = useState(props.initialName);
  const [version, setVersion] = useState(props.initialVersion);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [status, setStatus] = useState<string>("");
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [panel, setPanel] = useState<Panel>("node");
  const [paletteOpen, setPaletteOpen] = useState(() =>
    typeof window.matchMedia === "function"
      ? window.matchMedia("(min-width: 800px)").matches
      : true,
  );
  const wrapper = useRef<HTMLDivElement>(null);
  // Until the user pans or zooms, the whole graph stays in view: the canvas changes width
  // after React Flow's first fit (the palette opening, the side panel, the wide-screen
  // breakout), which used to leave the right-most node cut off.
  const userMoved = useRef(false);
  useEffect(() => {
    const el = wrapper.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => {
      if (!userMoved.current) void flow.fitView(fitOptions());
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [flow]);

  const commit = useCallback((next: GraphDoc, key: string | null = null) => {
    setHist((h) => historyPush(h, next, key));
  }, []);
  const undo = useCallback(() => setHist(historyUndo), []);
  const redo = useCallback(() => setHist(historyRedo), []);

  // ---- canvas state: derived from the document; React Flow's own state (selection, a
  // drag in progress, measured sizes) is kept beside it, so nothing is copied back and forth.
  const [selection, setSelection] = useState<ReadonlySet<string>>(new Set());
  const [dragging, setDragging] = useState<ReadonlyMap<string, { x: number; y: number }>>(
    new Map(),
  );
  const dragRef = useRef(new Map<string, { x: number; y: number }>());
  const [measured, setMeasured] = useState<ReadonlyMap<string, { width: number; height: number }>>(
    new Map(),
  );
  const flowDoc = useMemo(
    () => docToFlow(doc, catalogue, problems, selection),
    [doc, catalogue, problems, selection],
  );
  const rfNodes = useMemo(
    () =>
      flowDoc.nodes.map((n) => {
        const size = measured.get(n.id);
        return {
          ...n,
          position: dragging.get(n.id) ?? n.position,
          ...(size ? { measured: size } : {}),
        };
      }),
    [flowDoc, dragging, measured],
  );
  const rfEdges = flowDoc.edges;

  const selectedNode =
    [...selection].length === 1 ? doc.nodes.find((n) => selection.has(n.id)) : undefined;

  const onNodesChange = useCallback((changes: NodeChange<StrategyFlowNode>[]) => {
    applySelection(changes, setSelection);
    const sizes = changes.filter((c) => c.type === "dimensions" && c.dimensions);
    if (sizes.length)
      setMeasured((m) => {
        const next = new Map(m);
        for (const c of sizes)
          if (c.type === "dimensions" && c.dimensions) next.set(c.id, c.dimensions);
        return next;
      });
    const moves = changes.filter((c) => c.type === "position");
    if (!moves.length) return;
    const drag = dragRef.current;
    for (const c of moves) if (c.type === "position" && c.position) drag.set(c.id, c.position);
    // A drag ends with `dragging: false`; a keyboard move (arrow keys) comes without it.
    const ended = moves.filter((c) => c.type === "position" && c.dragging !== true);
    if (ended.length) {
      // A drag ends: its final positions become one undoable document edit.
      const final = ended.flatMap((c) => {
        const p = drag.get(c.id);
        return p ? [{ id: c.id, ...p }] : [];
      });
      setHist((h) =>
        historySeal(
          historyPush(
            h,
            final.reduce((d, p) => moveNode(d, p.id, p.x, p.y), h.present),
          ),
        ),
      );
      for (const c of ended) drag.delete(c.id);
    }
    setDragging(new Map(drag));
  }, []);
  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => applySelection(changes, setSelection),
    [],
  );
  const onDelete = useCallback(({ nodes, edges }: { nodes: StrategyFlowNode[]; edges: Edge[] }) => {
    setHist((h) =>
      historyPush(
        h,
        removeItems(
          h.present,
          nodes.map((n) => n.id),
          edges.map((e) => e.id),
        ),
      ),
    );
  }, []);

  // ---- connections: typed ports refuse a wrong edge while it is dragged ----
  const isValidConnection = useCallback(
    (c: Edge | Connection) => checkConnection(doc, c, catalogue).ok,
    [doc, catalogue],
  );
  const onConnect = useCallback(
    (c: Connection) => {
      const v = checkConnection(doc, c, catalogue);
      if (v.ok) {
        setRefusal(null);
        commit(addEdge(doc, v.edge));
      } else setRefusal(v.reason);
    },
    [doc, catalogue, commit],
  );
  const onConnectEnd = useCallback(
    (_e: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (state.isValid || !state.toHandle || !state.fromHandle) return;
      const [from, to] =
        state.fromHandle.type === "source"
          ? [state.fromHandle, state.toHandle]
          : [state.toHandle, state.fromHandle];
      const v = checkConnection(
        doc,
        {
          source: from.nodeId,
          sourceHandle: from.id ?? null,
          target: to.nodeId,
          targetHandle: to.id ?? null,
        },
        catalogue,
      );
      if (!v.ok) setRefusal(v.reason);
    },
    [doc, catalogue],
  );

  // ---- adding nodes: drop from the palette, or press a palette item ----
  const add = useCallback(
    (item: PaletteDrop, at: { x: number; y: number }) => {
      const node = newNode(doc, item.kind, item.params, catalogue, at);
      commit(addNode(doc, node));
      setSelection(new Set([node.id]));
      setPanel("node");
    },
    [doc, catalogue, commit],
  );
  const onDrop = (e: DragEvent) => {
    const raw = e.dataTransfer.getData(DRAG_MIME);
    if (!raw) return;
    e.preventDefault();
    let item: PaletteDrop;
    try {
      item = JSON.parse(raw) as PaletteDrop;
    } catch {
      return; // not one of ours
    }
    add(item, flow.screenToFlowPosition({ x: e.clientX, y: e.clientY }));
  };
  const addInView = (item: PaletteDrop) => {
    const box = wrapper.current?.getBoundingClientRect();
    const centre = box
      ? flow.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 3 })
      : { x: 0, y: 0 };
    const nudge = (doc.nodes.length % 5) * 24;
    add(item, { x: centre.x + nudge, y: centre.y + nudge });
    if (window.matchMedia?.("(max-width: 799px)").matches) setPaletteOpen(false);
  };

  // ---- save (a new version) and validate ----
  const dirty = JSON.stringify(doc) !== savedJson || name !== savedName;
  const save = useCallback(async () => {
    setBusy(true);
    setStatus("Saving…");
    try {
      const graph = withPositions(doc);
      const s =
        strategyId === null
          ? await createStrategy(name, description, graph)
          : await saveStrategy(strategyId, name, description, graph);
      setSavedJson(JSON.stringify(graph));
      setSavedName(s.name);
      if (strategyId === null) {
        navigate(`/strategies/${s.id}`, { replace: true });
        return;
      }
      const changed = s.version !== version;
      setVersion(s.version);
      const verdict = await validateStrategy(s.id);
      setProblems([...verdict.errors, ...verdict.warnings]);
      const what = changed
        ? `Saved as version ${s.version}`
        : `No changes since version ${s.version}`;
      setStatus(
        verdict.valid
          ? `${what} · valid${verdict.warnings.length ? ` · ${verdict.warnings.length} warning(s)` : ""}`
          : `${what} · ${verdict.errors.length} error(s) to fix before it can run`,
      );
    } catch (err) {
      const named = saveProblems(err);
      setProblems(named);
      setStatus(`Not saved: ${errorText(err)}`);
      if (named.length) setPanel("problems");
    } finally {
      setBusy(false);
    }
  }, [doc, name, description, strategyId, navigate, version]);

  // The stored strategy's verdict when the editor opens.
  useEffect(() => {
    if (strategyId === null) return;
    let live = true;
    validateStrategy(strategyId).then(
      (v) => {
        if (!live) return;
        setProblems([...v.errors, ...v.warnings]);
        setStatus(
          v.valid
            ? `Version ${v.version} · valid`
            : `Version ${v.version} · ${v.errors.length} error(s)`,
        );
      },
      (e: unknown) => live && setStatus(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [strategyId]);

  // ---- keyboard: undo/redo/save outside form fields (fields keep their own undo) ----
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey)) return;
      const k = e.key.toLowerCase();
      if (k === "s") {
        e.preventDefault(); // save works from inside a field too
        void save();
        return;
      }
      if (typing(e.target)) return;
      if (k === "z" && !e.shiftKey) undo();
      else if ((k === "z" && e.shiftKey) || k === "y") redo();
      else return;
      e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [undo, redo, save]);

  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);

  const errors = problems.filter((p) => !p.code || p.code === "invalid_graph");
  const warnings = problems.filter((p) => p.code && p.code !== "invalid_graph");
  const risk = doc.settings.risk ?? {};

  return (
    <div className="editor">
      <div className="editor-bar">
        <label className="sr-only" htmlFor="strategy-name">
          Strategy name
        </label>
        <input
          id="strategy-name"
          className="editor-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          data-testid="strategy-name"
        />
        {strategyId === null && (
          <TemplatePicker
            onPick={(t) => {
              commit(withPositions(t.graph));
              if (name === props.initialName) setName(t.name);
              // Once React Flow has measured the new nodes, bring them all into view.
              window.setTimeout(() => void flow.fitView(fitOptions()), 50);
            }}
          />
        )}
        <button
          type="button"
          onClick={undo}
          disabled={!hist.past.length}
          title="Undo (Ctrl+Z)"
          data-testid="undo"
        >
          Undo
        </button>
        <button
          type="button"
          onClick={redo}
          disabled={!hist.future.length}
          title="Redo (Ctrl+Shift+Z)"
          data-testid="redo"
        >
          Redo
        </button>
        <button
          type="button"
          className="primary"
          onClick={() => void save()}
          disabled={busy || !name.trim()}
          title="Save as a new version (Ctrl+S)"
          data-testid="save"
        >
          {strategyId === null ? "Create" : "Save version"}
        </button>
        {strategyId !== null && (
          <>
            <Link to={`/backtests/new?strategy=${strategyId}`} data-testid="to-backtest">
              Backtest
            </Link>
            <Link to={`/sweeps?strategy=${strategyId}`} data-testid="to-sweep">
              Sweep
            </Link>
          </>
        )}
        <span className="editor-status" role="status" aria-live="polite" data-testid="status">
          {dirty && <span className="muted">(unsaved) </span>}
          {status}
        </span>
      </div>
      {refusal && (
        <div className="banner banner-error editor-refusal" role="alert" data-testid="refusal">
          Connection refused: {refusal}
          <button type="button" className="link" onClick={() => setRefusal(null)}>
            dismiss
          </button>
        </div>
      )}
      <div className={`editor-body ${paletteOpen ? "with-palette" : ""}`}>
        <Palette
          indicators={indicators}
          onAdd={addInView}
          open={paletteOpen}
          onToggle={() => setPaletteOpen((o) => !o)}
        />
        <div
          className="editor-canvas"
          ref={wrapper}
          onDragOver={(e) => {
            if (e.dataTransfer.types.includes(DRAG_MIME)) {
              e.preventDefault();
              e.dataTransfer.dropEffect = "copy";
            }
          }}
          onDrop={onDrop}
          data-testid="canvas"
        >
          <ReactFlow<StrategyFlowNode, Edge>
            nodes={rfNodes}
            edges={rfEdges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onDelete={onDelete}
            onConnect={onConnect}
            onConnectEnd={onConnectEnd}
            isValidConnection={isValidConnection}
            deleteKeyCode={["Backspace", "Delete"]}
            fitView={props.initialDoc.nodes.length > 0}
            fitViewOptions={fitOptions()}
            onMoveStart={(event) => {
              // A programmatic move (fitView) has no event; a drag or wheel has one.
              if (event) userMoved.current = true;
            }}
            minZoom={0.2}
          >
            <Background gap={16} />
            <Controls />
            <MiniMap pannable zoomable className="editor-minimap" />
          </ReactFlow>
          {doc.nodes.length === 0 && (
            <p className="editor-empty">
              Drag a node from the palette (or press one) to start. A strategy needs a condition
              feeding an <strong>Entry</strong>, and an order (Buy) under it.
            </p>
          )}
        </div>
        <div className="editor-side">
          <div className="tabs" role="tablist">
            {(["node", "risk", "versions", "problems"] as Panel[]).map((p) => (
              <button
                key={p}
                type="button"
                role="tab"
                aria-selected={panel === p}
                className={panel === p ? "tab active" : "tab"}
                onClick={() => setPanel(p)}
                data-testid={`tab-${p}`}
              >
                {p === "problems" ? `Problems (${errors.length}/${warnings.length})` : p}
              </button>
            ))}
          </div>
          {panel === "node" &&
            (selectedNode ? (
              <Inspector
                key={selectedNode.id}
                doc={doc}
                node={selectedNode}
                catalogue={catalogue}
                problems={problems.filter((p) => p.node === selectedNode.id)}
                onParams={(params, key) =>
                  commit(setNodeParams(doc, selectedNode.id, params, catalogue), key)
                }
                onWire={(port, from) => commit(rewire(doc, selectedNode.id, port, from))}
                onDelete={() => commit(removeItems(doc, [selectedNode.id], []))}
              />
            ) : (
              <p className="muted">Select a node to edit its parameters and inputs.</p>
            ))}
          {panel === "risk" && (
            <RiskForm
              timeframe={doc.settings.timeframe ?? "1m"}
              risk={risk}
              problems={problems}
              onTimeframe={(tf) => commit({ ...doc, settings: { ...doc.settings, timeframe: tf } })}
              onRisk={(r, key) => commit({ ...doc, settings: { ...doc.settings, risk: r } }, key)}
            />
          )}
          {panel === "versions" &&
            (strategyId === null ? (
              <p className="muted">Versions appear once the strategy is created.</p>
            ) : (
              <VersionsPanel
                strategyId={strategyId}
                current={version}
                onOpen={(graph) => {
                  commit(withPositions({ ...graph, settings: graph.settings ?? {} }));
                  setStatus("An older version is open: Save makes it the newest version.");
                }}
              />
            ))}
          {panel === "problems" && (
            <ProblemList
              problems={problems}
              onPick={(id) => {
                setSelection(new Set([id]));
                setPanel("node");
              }}
            />
          )}
        </div>
      </div>
    </div>
  );
}

function ProblemList({
  problems,
  onPick,
}: {
  problems: Problem[];
  onPick: (node: string) => void;
}) {
  if (!problems.length) return <p className="muted">No problems reported. Save to validate.</p>;
  return (
    <ul className="problems" data-testid="problem-list">
      {problems.map((p, i) => (
        <li key={i} className={p.code && p.code !== "invalid_graph" ? "warning" : "error"}>
          {p.node ? (
            <button type="button" className="link" onClick={() => onPick(p.node as string)}>
              {p.node}
            </button>
          ) : (
            <strong>strategy</strong>
          )}{" "}
          {p.field}: {p.message}
        </li>
      ))}
    </ul>
  );
}

/** Selection changes (of nodes or edges) applied to the one selection set. */
function applySelection(
  changes: (NodeChange<StrategyFlowNode> | EdgeChange)[],
  set: (f: (s: ReadonlySet<string>) => ReadonlySet<string>) => void,
) {
  const picks = changes.filter((c) => c.type === "select");
  if (!picks.length) return;
  set((s) => {
    const next = new Set(s);
    for (const c of picks) {
      if (c.type !== "select") continue;
      if (c.selected) next.add(c.id);
      else next.delete(c.id);
    }
    return next;
  });
}

/** On a new strategy: start from one of the ready-made strategies instead of a blank canvas. */
function TemplatePicker({ onPick }: { onPick: (t: { name: string; graph: GraphDoc }) => void }) {
  const templates = useAsync(() => listTemplates(), []);
  if (!templates.data?.length) return null;
  return (
    <select
      aria-label="Start from a template"
      value=""
      onChange={(e) => {
        const t = templates.data?.find((x) => x.key === e.target.value);
        if (t) onPick({ name: t.name, graph: normaliseGraph(t.graph) });
      }}
      data-testid="template"
    >
      <option value="">Start from a template…</option>
      {templates.data.map((t) => (
        <option key={t.key} value={t.key}>
          {t.name}
        </option>
      ))}
    </select>
  );
}

/** How the graph is fitted: whole nodes with a margin, and on desktop clear of the minimap
 * (about 200 px at the bottom right; hidden under 800 px, editor.css). */
export function fitOptions(): FitViewOptions {
  const minimap =
    typeof window !== "undefined" && window.matchMedia?.("(min-width: 800px)").matches === true;
  return {
    maxZoom: 1,
    padding: { top: "32px", bottom: "32px", left: "32px", right: minimap ? "224px" : "32px" },
  };
}
