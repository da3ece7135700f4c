/**
 * `/sweeps/:id`: live progress, then a heatmap of the metric over two chosen parameters, a
 * sortable table of every combination, and "backtest this combination".
 */
import "./sweeps.css";

import { useMemo, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";

import { api, unwrap } from "../../api/client";
import { errorText } from "../../api/errors";
import { ErrorBanner, Spinner } from "../../components/forms";
import { PageHeader } from "../../components/Layout";
import { loadStrategy, loadVersions } from "../../editor/api";
import { useAsync } from "../../lib/useAsync";
import { useEvents, useReconnect } from "../../lib/useEvents";
import { formatDate, formatDateTime } from "../../lib/time";
import { backtestCombination, cancelSweep, getSweep, type SweepDetail } from "./api";
import { sweptParams, type Row } from "./combination";
import { binHeatmap, colour, score, sortRows } from "./heatmap";
import { METRICS, metricLabel } from "./metrics";

const TABLE_METRICS = [
  "sharpe",
  "return_pct",
  "max_drawdown_pct",
  "win_rate_pct",
  "trades",
  "profit_factor",
];
const PAGE = 100;

const fmt = (v: unknown): string =>
  typeof v === "number"
    ? Number.isInteger(v)
      ? String(v)
      : v.toFixed(2)
    : v === null || v === undefined
      ? "—"
      : String(v);

export default function SweepDetailPage() {
  const { id } = useParams();
  const sweepId = Number(id);
  const sweep = useAsync(() => getSweep(sweepId), [sweepId]);
  const [live, setLive] = useState<number | null>(null);
  useEvents(
    (ev) => {
      if (Number(ev.data?.id) !== sweepId) return;
      if (ev.type === "sweep.progress") setLive(Number(ev.data?.progress));
      else sweep.reload();
    },
    ["sweep.progress", "sweep.finished", "sweep.failed"],
  );
  useReconnect(sweep.reload);
  const instrument = useAsync(
    () =>
      sweep.data
        ? unwrap(
            api.GET("/api/marketdata/instruments/{instrument_id}", {
              params: { path: { instrument_id: String(sweep.data.instrument) } },
            }),
          ).then((i) => i.symbol)
        : Promise.resolve(""),
    [sweep.data?.instrument],
  );
  const strategyName = useAsync(
    () =>
      sweep.data?.strategy
        ? loadStrategy(sweep.data.strategy).then((x) => x.name)
        : Promise.resolve(""),
    [sweep.data?.strategy],
  );

  if (!Number.isInteger(sweepId) || sweepId < 1)
    return <ErrorBanner error={new Error(`'${id ?? ""}' is not a sweep id.`)} />;
  if (!sweep.data) return sweep.error ? <ErrorBanner error={sweep.error} /> : <Spinner />;
  const s = sweep.data;
  const running = s.status === "queued" || s.status === "running";
  const pct = running ? Math.max(live ?? 0, s.progress) : s.progress;
  return (
    <>
      <PageHeader title={`Sweep #${s.id}`}>
        {running && (
          <button
            type="button"
            onClick={() => void cancelSweep(s.id).then(sweep.reload)}
            data-testid="sweep-cancel"
          >
            Cancel
          </button>
        )}
      </PageHeader>
      <dl className="sweep-facts">
        <dt>Status</dt>
        <dd data-testid="sweep-status">
          {s.status}
          {running && (
            <>
              {" "}
              <progress max={100} value={pct} aria-label="progress" /> {pct.toFixed(0)}% (
              {s.chunks_done}/{s.chunks_total} chunks)
            </>
          )}
        </dd>
        <dt>Strategy</dt>
        <dd>
          {s.strategy !== null ? (
            <Link to={`/strategies/${s.strategy}`}>
              {strategyName.data || `strategy ${s.strategy}`}
            </Link>
          ) : (
            "deleted"
          )}
        </dd>
        <dt>Data</dt>
        <dd>
          {instrument.data || `instrument ${s.instrument}`} · {s.timeframe} · {formatDate(s.start)}{" "}
          – {formatDate(s.end)}
        </dd>
        <dt>Grid</dt>
        <dd>
          {sweptParams(s.grid).join(" × ")} = {s.combinations} combinations
          {(s.grid as { constraint?: string | null }).constraint
            ? ` where ${(s.grid as { constraint: string }).constraint}`
            : ""}
        </dd>
        <dt>Ranked by</dt>
        <dd>{metricLabel(s.metric)}</dd>
        <dt>Created</dt>
        <dd>{formatDateTime(s.created_at)}</dd>
      </dl>
      {s.status === "failed" && (
        <div className="banner banner-error" role="alert">
          {s.error}
        </div>
      )}
      {s.status === "done" && s.results && <Results sweep={s} />}
    </>
  );
}

function Results({ sweep }: { sweep: SweepDetail }) {
  const params = sweptParams(sweep.grid);
  const rows = useMemo(() => (sweep.results ?? []) as Row[], [sweep.results]);
  const [chosen, setChosen] = useState<Row | null>(sweep.best as Row | null);
  return (
    <>
      <Combination sweep={sweep} row={chosen} params={params} />
      {params.length >= 2 ? (
        <Heatmap
          rows={rows}
          params={params}
          metric={sweep.metric}
          onPick={setChosen}
          chosen={chosen}
        />
      ) : (
        <p className="muted">
          A heatmap needs two swept parameters; the table lists every combination.
        </p>
      )}
      <ResultTable
        rows={rows}
        params={params}
        metric={sweep.metric}
        onPick={setChosen}
        chosen={chosen}
      />
    </>
  );
}

function Combination({
  sweep,
  row,
  params,
}: {
  sweep: SweepDetail;
  row: Row | null;
  params: string[];
}) {
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const versions = useAsync(() => pinnedAndCurrent(sweep), [sweep.id]);
  if (!row) return null;
  const isBest = row === sweep.best;
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const { run: runId } = await backtestCombination(sweep, row);
      navigate(`/backtests/${runId}`);
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  };
  return (
    <section
      className="panel combination"
      aria-label="Chosen combination"
      data-testid="combination"
    >
      <h2>{isBest ? "Best combination" : "Chosen combination"}</h2>
      <p>
        {params.map((p) => (
          <span key={p} className="chip">
            {p} = <strong>{fmt(row[p])}</strong>
          </span>
        ))}
      </p>
      <p>
        {[sweep.metric, ...TABLE_METRICS.filter((m) => m !== sweep.metric)].map((m) => (
          <span key={m} className="stat">
            {metricLabel(m)}: <strong>{fmt(row[m])}</strong>
          </span>
        ))}
      </p>
      <p className="muted">
        Saves these parameters as the strategy&apos;s newest version (earlier versions stay in its
        history), then backtests it over the sweep&apos;s instrument, dates and settings.
      </p>
      {versions.data && versions.data.current > versions.data.pinned && (
        <p className="banner" role="note" data-testid="combination-newer">
          The strategy has changed since this sweep (it is at v{versions.data.current}; the sweep
          ran v{versions.data.pinned}). The new version is built from v{versions.data.pinned} with
          these parameters; v{versions.data.current} stays in the history.
        </p>
      )}
      <button
        type="button"
        className="primary"
        disabled={busy || sweep.strategy === null}
        onClick={() => void run()}
        data-testid="backtest-combination"
      >
        {busy ? "Starting…" : "Backtest this combination"}
      </button>
      {error && (
        <div className="banner banner-error" role="alert">
          {error}
        </div>
      )}
    </section>
  );
}

interface PickProps {
  rows: Row[];
  params: string[];
  metric: string;
  chosen: Row | null;
  onPick: (r: Row) => void;
}

function Heatmap({ rows, params, metric: sweepMetric, chosen, onPick }: PickProps) {
  const [x, setX] = useState(params[0] ?? "");
  const [y, setY] = useState(params[1] ?? "");
  const [metric, setMetric] = useState(sweepMetric);
  const grid = useMemo(() => binHeatmap(rows, x, y, metric), [rows, x, y, metric]);
  const others = params.length > 2;
  return (
    <section className="panel" aria-label="Heatmap" data-testid="heatmap">
      <h2>Heatmap</h2>
      <div className="form-row">
        <label>
          Across{" "}
          <select value={x} onChange={(e) => setX(e.target.value)} data-testid="heatmap-x">
            {params
              .filter((p) => p !== y)
              .map((p) => (
                <option key={p}>{p}</option>
              ))}
          </select>
        </label>
        <label>
          Down{" "}
          <select value={y} onChange={(e) => setY(e.target.value)} data-testid="heatmap-y">
            {params
              .filter((p) => p !== x)
              .map((p) => (
                <option key={p}>{p}</option>
              ))}
          </select>
        </label>
        <label>
          Colour by{" "}
          <select
            value={metric}
            onChange={(e) => setMetric(e.target.value)}
            data-testid="heatmap-metric"
          >
            {METRICS.map((m) => (
              <option key={m.key} value={m.key}>
                {m.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {others && (
        <p className="muted">Each cell shows the best combination of the other parameters.</p>
      )}
      <div className="heatmap-wrap">
        <table className="heatmap">
          <thead>
            <tr>
              <th scope="col">
                {y} ↓ / {x} →
              </th>
              {grid.xs.map((v) => (
                <th key={v} scope="col">
                  {fmt(v)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {grid.cells.map((line, yi) => (
              <tr key={grid.ys[yi]}>
                <th scope="row">{fmt(grid.ys[yi])}</th>
                {line.map((c) => {
                  const sc = score(c.value, grid.min, grid.max, metric);
                  return (
                    <td key={c.x} style={{ background: colour(sc) }}>
                      {c.row ? (
                        <button
                          type="button"
                          className={`cell ${c.row === chosen ? "cell-chosen" : ""}`}
                          onClick={() => c.row && onPick(c.row)}
                          title={`${x}=${fmt(c.x)}, ${y}=${fmt(c.y)}: ${metricLabel(metric)} ${fmt(c.value)}`}
                          data-testid={`cell-${c.x}-${c.y}`}
                        >
                          {fmt(c.value)}
                        </button>
                      ) : (
                        <span className="muted">·</span>
                      )}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted legend">
        <span className="swatch" style={{ background: colour(0) }} /> worst{" "}
        <span className="swatch" style={{ background: colour(1) }} /> best · grey: no value (e.g. no
        trades)
      </p>
    </section>
  );
}

function ResultTable({ rows, params, metric, chosen, onPick }: PickProps) {
  const [sort, setSort] = useState<{ key: string; dir: "asc" | "desc" }>({
    key: metric,
    dir: "desc",
  });
  const [shown, setShown] = useState(PAGE);
  const cols = [
    ...params,
    ...[metric, ...TABLE_METRICS].filter((m, i, all) => all.indexOf(m) === i),
  ];
  const sorted = useMemo(() => sortRows(rows, sort.key, sort.dir), [rows, sort]);
  const flip = (key: string) =>
    setSort((s) => ({ key, dir: s.key === key && s.dir === "desc" ? "asc" : "desc" }));
  return (
    <section className="panel" aria-label="Every combination">
      <h2>Every combination ({rows.length})</h2>
      <div className="table-wrap">
        <table className="table" data-testid="sweep-table">
          <thead>
            <tr>
              {cols.map((c) => (
                <th
                  key={c}
                  aria-sort={
                    sort.key === c ? (sort.dir === "asc" ? "ascending" : "descending") : "none"
                  }
                >
                  <button
                    type="button"
                    className="link"
                    onClick={() => flip(c)}
                    data-testid={`sort-${c}`}
                  >
                    {params.includes(c) ? c : metricLabel(c)}
                    {sort.key === c ? (sort.dir === "asc" ? " ▲" : " ▼") : ""}
                  </button>
                </th>
              ))}
              <th>
                <span className="sr-only">Choose</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sorted.slice(0, shown).map((r, i) => (
              <tr key={i} className={r === chosen ? "row-chosen" : ""}>
                {cols.map((c) => (
                  <td key={c} className="num">
                    {fmt(r[c])}
                  </td>
                ))}
                <td>
                  <button type="button" className="link" onClick={() => onPick(r)}>
                    choose
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {sorted.length > shown && (
        <button type="button" onClick={() => setShown((n) => n + PAGE)}>
          Show {Math.min(PAGE, sorted.length - shown)} more
        </button>
      )}
    </section>
  );
}

/** The version number the sweep pinned and the strategy's current one. */
async function pinnedAndCurrent(sweep: SweepDetail): Promise<{ pinned: number; current: number }> {
  if (sweep.strategy === null) return { pinned: 0, current: 0 };
  const [strategy, versions] = await Promise.all([
    loadStrategy(sweep.strategy),
    loadVersions(sweep.strategy),
  ]);
  const pinned = versions.find((v) => v.id === sweep.strategy_version)?.number ?? 0;
  return { pinned, current: strategy.version };
}
