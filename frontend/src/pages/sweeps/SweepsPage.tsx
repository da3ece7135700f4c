/**
 * `/sweeps`: the user's sweeps with live progress, and the form for a new one: a strategy,
 * its node parameters as ranges or lists, a constraint, the metric to rank by, and the data.
 */
import "./sweeps.css";

import { useEffect, useMemo, useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";

import { ErrorBanner, Spinner, fieldError } from "../../components/forms";
import { PageHeader } from "../../components/Layout";
import { loadIndicators, loadStrategy } from "../../editor/api";
import { tunableParams } from "../../editor/kinds";
import type { GraphDoc } from "../../editor/types";
import { useAsync } from "../../lib/useAsync";
import { useEvents, useReconnect } from "../../lib/useEvents";
import { formatDate, formatDateTime } from "../../lib/time";
import {
  createSweep,
  findInstrument,
  listStrategies,
  listSweeps,
  type Sweep,
  type SweepRequest,
} from "./api";
import { buildGrid, defaultRow, type GridRow } from "./grid";
import { METRICS, metricLabel } from "./metrics";

export default function SweepsPage() {
  const sweeps = useAsync(() => listSweeps(1), []);
  const [progress, setProgress] = useState<Record<number, number>>({});
  useEvents(
    (ev) => {
      const id = Number(ev.data?.id);
      if (ev.type === "sweep.progress")
        setProgress((p) => ({ ...p, [id]: Number(ev.data?.progress) }));
      else sweeps.reload();
    },
    ["sweep.progress", "sweep.finished", "sweep.failed"],
  );
  useReconnect(sweeps.reload);
  return (
    <>
      <PageHeader title="Sweeps" />
      <p className="muted">
        A sweep backtests every combination of the parameter values you pick and ranks them by a
        metric. Two parameters give a heatmap.
      </p>
      <SweepForm />
      <h2>Your sweeps</h2>
      <ErrorBanner error={sweeps.error} />
      {!sweeps.data ? (
        <Spinner />
      ) : sweeps.data.results.length === 0 ? (
        <p className="muted">No sweeps yet.</p>
      ) : (
        <SweepList sweeps={sweeps.data.results} progress={progress} />
      )}
    </>
  );
}

function SweepList({ sweeps, progress }: { sweeps: Sweep[]; progress: Record<number, number> }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid="sweep-list">
        <thead>
          <tr>
            <th>Sweep</th>
            <th>Status</th>
            <th>Parameters</th>
            <th>Metric</th>
            <th>Best</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {sweeps.map((s) => {
            const params = Object.keys((s.grid as { params?: object } | null)?.params ?? {});
            const pct =
              s.status === "running" || s.status === "queued"
                ? (progress[s.id] ?? s.progress)
                : null;
            return (
              <tr key={s.id}>
                <td>
                  <Link to={`/sweeps/${s.id}`}>#{s.id}</Link>
                </td>
                <td>
                  {s.status}
                  {pct !== null && (
                    <progress max={100} value={pct} aria-label={`sweep ${s.id} progress`} />
                  )}
                </td>
                <td>
                  {params.join(", ")} <small className="muted">({s.combinations})</small>
                </td>
                <td>{metricLabel(s.metric)}</td>
                <td>{s.best_display ? String(s.best_display[s.metric] ?? "—") : "—"}</td>
                <td>{formatDateTime(s.created_at)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function SweepForm() {
  const navigate = useNavigate();
  const strategies = useAsync(() => listStrategies(), []);
  const [query] = useSearchParams(); // `?strategy=ID`: from the editor's Sweep link
  const [strategyId, setStrategyId] = useState<number | null>(
    Number(query.get("strategy")) > 0 ? Number(query.get("strategy")) : null,
  );
  const [graph, setGraph] = useState<GraphDoc | null>(null);
  const catalogue = useAsync(() => loadIndicators(), []);
  const [rows, setRows] = useState<GridRow[]>([]);
  const [constraint, setConstraint] = useState("");
  const [metric, setMetric] = useState("sharpe");
  const [instrument, setInstrument] = useState("NIFTY");
  const [coverage, setCoverage] = useState<string>("");
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (strategyId === null) return;
    let live = true;
    loadStrategy(strategyId).then(
      (s) => live && setGraph(s.graph as GraphDoc),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [strategyId]);

  const tunable = useMemo(() => {
    if (!graph || !catalogue.data) return [];
    const cat = new Map(catalogue.data.map((i) => [i.name.toUpperCase(), i]));
    return tunableParams(graph, cat);
  }, [graph, catalogue.data]);

  const checkInstrument = async () => {
    setCoverage("");
    if (!instrument.trim()) return;
    try {
      const found = await findInstrument(instrument.trim());
      const span = found?.stored.find((s) => s.first && s.last);
      if (!found) setCoverage(`No instrument '${instrument}'.`);
      else if (!span || !span.first || !span.last)
        setCoverage(`${found.symbol}: no candles stored yet.`);
      else {
        setCoverage(
          `${found.symbol} ${span.timeframe} candles: ${formatDate(span.first)} – ${formatDate(span.last)}`,
        );
        if (!start) setStart(span.first.slice(0, 10));
        if (!end) setEnd(span.last.slice(0, 10));
      }
    } catch {
      setCoverage("");
    }
  };

  const built = buildGrid(rows, constraint);
  const addRow = (path: string) => {
    const t = tunable.find((x) => x.path === path);
    if (t) setRows((r) => [...r, defaultRow(t.path, t.value, t.type, t.min, t.max)]);
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!built.ok || strategyId === null) return;
    setBusy(true);
    setError(null);
    try {
      const body = {
        strategy: strategyId,
        instrument: instrument.trim(),
        start,
        end,
        grid: built.grid,
        metric,
        ...(constraint.trim() ? { constraint: constraint.trim() } : {}),
      } as SweepRequest;
      const accepted = await createSweep(body);
      navigate(`/sweeps/${accepted.id}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const unused = tunable.filter((t) => !rows.some((r) => r.path === t.path));
  const fe = (f: string) => fieldError(error, f);
  return (
    <form className="sweep-form panel" onSubmit={(e) => void submit(e)} data-testid="sweep-form">
      <h2>New sweep</h2>
      <div className="field">
        <label htmlFor="sw-strategy">Strategy</label>
        <select
          id="sw-strategy"
          value={strategyId ?? ""}
          onChange={(e) => {
            setStrategyId(e.target.value ? Number(e.target.value) : null);
            setGraph(null);
            setRows([]);
            setConstraint("");
          }}
          data-testid="sweep-strategy"
        >
          <option value="">— pick a strategy —</option>
          {strategies.data?.results.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name} (v{s.version})
            </option>
          ))}
        </select>
        {fe("strategy") && <small className="field-error">{fe("strategy")}</small>}
      </div>
      {strategyId !== null && graph && (
        <fieldset className="grid-rows">
          <legend>Parameters to vary</legend>
          {tunable.length === 0 && (
            <p className="muted">This strategy has no numeric node parameters.</p>
          )}
          {rows.map((row, i) => (
            <GridRowEditor
              key={row.path}
              row={row}
              error={
                built.ok
                  ? undefined
                  : (built.errors.find((x) => x.field === `grid.${row.path}`)?.message ??
                    fe(`grid.${row.path}`))
              }
              onChange={(r) => setRows((all) => all.map((x, j) => (j === i ? r : x)))}
              onRemove={() => setRows((all) => all.filter((_, j) => j !== i))}
            />
          ))}
          {unused.length > 0 && (
            <div className="field">
              <label htmlFor="sw-add">Add a parameter</label>
              <select
                id="sw-add"
                value=""
                onChange={(e) => addRow(e.target.value)}
                data-testid="sweep-add-param"
              >
                <option value="">— node.parameter (now) —</option>
                {unused.map((t) => (
                  <option key={t.path} value={t.path}>
                    {t.path} (now {t.value})
                  </option>
                ))}
              </select>
            </div>
          )}
        </fieldset>
      )}
      <div className="form-row">
        <div className="field">
          <label htmlFor="sw-constraint">Constraint (optional)</label>
          <input
            id="sw-constraint"
            value={constraint}
            placeholder={
              rows.length >= 2 ? `${rows[0]?.path} < ${rows[1]?.path}` : "node.a < node.b"
            }
            onChange={(e) => setConstraint(e.target.value)}
            data-testid="sweep-constraint"
          />
          {((built.ok ? undefined : built.errors.find((x) => x.field === "constraint")?.message) ??
          fe("constraint")) ? (
            <small className="field-error">
              {(built.ok
                ? undefined
                : built.errors.find((x) => x.field === "constraint")?.message) ?? fe("constraint")}
            </small>
          ) : null}
        </div>
        <div className="field">
          <label htmlFor="sw-metric">Rank by</label>
          <select
            id="sw-metric"
            value={metric}
            onChange={(e) => setMetric(e.target.value)}
            data-testid="sweep-metric"
          >
            {METRICS.map((m) => (
              <option key={m.key} value={m.key}>
                {m.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="form-row">
        <div className="field">
          <label htmlFor="sw-instrument">Instrument (symbol)</label>
          <input
            id="sw-instrument"
            value={instrument}
            onChange={(e) => setInstrument(e.target.value)}
            onBlur={() => void checkInstrument()}
            data-testid="sweep-instrument"
          />
          {coverage && <small className="hint">{coverage}</small>}
          {fe("instrument") && <small className="field-error">{fe("instrument")}</small>}
        </div>
        <div className="field">
          <label htmlFor="sw-start">From</label>
          <input
            id="sw-start"
            type="date"
            value={start}
            onChange={(e) => setStart(e.target.value)}
            required
            data-testid="sweep-start"
          />
          {fe("start") && <small className="field-error">{fe("start")}</small>}
        </div>
        <div className="field">
          <label htmlFor="sw-end">To</label>
          <input
            id="sw-end"
            type="date"
            value={end}
            onChange={(e) => setEnd(e.target.value)}
            required
            data-testid="sweep-end"
          />
          {fe("end") && <small className="field-error">{fe("end")}</small>}
        </div>
      </div>
      <p data-testid="sweep-count">
        {built.ok
          ? `${built.count.toLocaleString("en-IN")} combination${built.count === 1 ? "" : "s"}`
          : rows.length
            ? built.errors.map((x) => `${x.field}: ${x.message}`).join("; ")
            : "Add at least one parameter."}
      </p>
      {error ? <ErrorBanner error={error} /> : null}
      <button
        type="submit"
        className="primary"
        disabled={busy || !built.ok || strategyId === null}
        data-testid="sweep-submit"
      >
        {busy ? "Starting…" : "Run sweep"}
      </button>
    </form>
  );
}

function GridRowEditor({
  row,
  error,
  onChange,
  onRemove,
}: {
  row: GridRow;
  error: string | undefined;
  onChange: (r: GridRow) => void;
  onRemove: () => void;
}) {
  const id = row.path.replace(/[^\w]/g, "_");
  return (
    <div className="grid-row" data-testid={`grid-row-${row.path}`}>
      <strong>{row.path}</strong>
      <select
        aria-label={`${row.path}: range or list`}
        value={row.mode}
        onChange={(e) => onChange({ ...row, mode: e.target.value as GridRow["mode"] })}
      >
        <option value="range">range</option>
        <option value="list">list</option>
      </select>
      {row.mode === "range" ? (
        <>
          <label htmlFor={`${id}-from`}>from</label>
          <input
            id={`${id}-from`}
            inputMode="decimal"
            size={6}
            value={row.start}
            onChange={(e) => onChange({ ...row, start: e.target.value })}
            data-testid={`grid-start-${row.path}`}
          />
          <label htmlFor={`${id}-to`}>to</label>
          <input
            id={`${id}-to`}
            inputMode="decimal"
            size={6}
            value={row.stop}
            onChange={(e) => onChange({ ...row, stop: e.target.value })}
            data-testid={`grid-stop-${row.path}`}
          />
          <label htmlFor={`${id}-step`}>step</label>
          <input
            id={`${id}-step`}
            inputMode="decimal"
            size={5}
            value={row.step}
            onChange={(e) => onChange({ ...row, step: e.target.value })}
            data-testid={`grid-step-${row.path}`}
          />
        </>
      ) : (
        <>
          <label htmlFor={`${id}-list`}>values</label>
          <input
            id={`${id}-list`}
            value={row.list}
            placeholder="10, 20, 50"
            onChange={(e) => onChange({ ...row, list: e.target.value })}
            data-testid={`grid-list-${row.path}`}
          />
        </>
      )}
      <button type="button" className="link" onClick={onRemove} aria-label={`remove ${row.path}`}>
        remove
      </button>
      {error && <small className="field-error">{error}</small>}
    </div>
  );
}
