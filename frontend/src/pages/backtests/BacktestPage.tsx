/** One backtest: live progress while it runs; then the chart with its trades, the stats,
 * the trade list with CSV, analytics by day/weekday/hour, and why there were no trades. */
import { lazy, Suspense, useCallback, useMemo, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import {
  FINISHED,
  cancelRun,
  deleteRun,
  downloadTradesCsv,
  fetchTrades,
  getRun,
  rerunRun,
  type RunDetail,
  type Trade,
} from "../../api/backtests";
import { getCandles, type Candles, type Timeframe } from "../../api/marketdata";
import { getVersion } from "../../api/strategies";
import { ApiError } from "../../api/errors";
import { PageHeader } from "../../components/Layout";
import { ErrorBanner, Spinner } from "../../components/forms";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { StatusBadge } from "../../components/StatusBadge";
import { useAsync } from "../../lib/useAsync";
import { useEvents, useReconnect } from "../../lib/useEvents";
import { formatDate, formatDateTime } from "../../lib/time";
import { formatPercent, signClass } from "../../lib/format";
import { overlaySpecs, overlayValues } from "../../lib/overlays";
import { StatsTable } from "./StatsTable";
import { TradeTable } from "./TradeTable";
import { Analytics } from "./Analytics";

const BacktestChart = lazy(() => import("../../charts/BacktestChart"));
const TIMEFRAMES: Timeframe[] = ["1m", "3m", "5m", "15m", "30m", "1h", "1d"];

/** Candles of the run's range at its timeframe, or the next coarser one the API allows
 * (a range over the bar cap answers 400 naming `end`). */
async function runCandles(run: RunDetail): Promise<Candles | null> {
  const first = Math.max(0, TIMEFRAMES.indexOf(run.timeframe as Timeframe));
  for (const timeframe of TIMEFRAMES.slice(first)) {
    try {
      return await getCandles(run.instrument, { start: run.start, end: run.end, timeframe });
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 400)) throw err;
    }
  }
  return null;
}

export default function BacktestPage() {
  const id = Number(useParams().id);
  const navigate = useNavigate();
  const run = useAsync(() => getRun(id), [id]);
  const [live, setLive] = useState<{ progress: number; stage?: string } | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [confirm, setConfirm] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  const data = run.data;
  const done = data?.status === "done";

  const trades = useAsync<Trade[]>(
    () => (done ? fetchTrades(id) : Promise.resolve([])),
    [id, done],
  );
  const candles = useAsync<Candles | null>(
    () => (done && data ? runCandles(data) : Promise.resolve(null)),
    [id, done],
  );

  const reload = run.reload;
  useReconnect(reload);
  useEvents(
    (ev) => {
      if (Number(ev.data?.id) !== id) return;
      if (ev.type === "backtest.progress") {
        setLive({ progress: Number(ev.data?.progress ?? 0), stage: String(ev.data?.stage ?? "") });
        if (data?.status === "queued") reload();
      } else {
        setLive(null);
        reload();
      }
    },
    ["backtest.progress", "backtest.finished", "backtest.failed", "backtest.cancelled"],
  );

  const act = useCallback(async (fn: () => Promise<unknown>) => {
    setActionError(null);
    try {
      await fn();
    } catch (err) {
      setActionError(err);
    }
  }, []);

  // The pinned version's graph names the indicators to overlay (a deleted strategy: none).
  const pinned = useAsync(
    () => (data?.strategy ? getVersion(data.strategy, data.version) : Promise.resolve(null)),
    [data?.strategy ?? null, data?.version ?? null],
  );
  const overlays = useMemo(() => {
    const c = candles.data;
    if (!c || !pinned.data) return [];
    return overlaySpecs(pinned.data.graph).map((s) => ({
      name: s.name,
      values: overlayValues(s, c),
    }));
  }, [candles.data, pinned.data]);

  if (run.error && !data)
    return run.error instanceof ApiError && run.error.status === 404 ? (
      <div className="banner banner-error" role="alert">
        Backtest #{id} does not exist or is not yours. <Link to="/backtests">Your backtests</Link>
      </div>
    ) : (
      <ErrorBanner error={run.error} />
    );
  if (!data) return <Spinner />;

  const running = !FINISHED.includes(data.status);
  const progress = live?.progress ?? data.progress ?? 0;
  const tradeList = trades.data ?? [];

  return (
    <div className="stack">
      <PageHeader title={`Backtest #${data.id}`}>
        <StatusBadge status={data.status} />
        {running ? (
          <button type="button" onClick={() => void act(() => cancelRun(id).then(reload))}>
            Cancel
          </button>
        ) : (
          <button
            type="button"
            onClick={() =>
              void act(async () => {
                const r = await rerunRun(id);
                navigate(`/backtests/${r.id}`);
              })
            }
          >
            Re-run
          </button>
        )}
        {done && (
          <button type="button" onClick={() => void act(() => downloadTradesCsv(id))}>
            Download trades (CSV)
          </button>
        )}
        {done && <Link to={`/compare?runs=${id}`}>Compare…</Link>}
        <button type="button" className="danger" onClick={() => setConfirm(true)}>
          Delete
        </button>
      </PageHeader>
      <p className="muted">
        {data.strategy ? (
          <Link to={`/strategies/${data.strategy}`}>{data.strategy_name}</Link>
        ) : (
          data.strategy_name
        )}{" "}
        v{data.version} · {data.symbol} {data.timeframe} · {formatDate(data.start)} →{" "}
        {formatDate(data.end)} · created {formatDateTime(data.created_at)}
        {data.rerun_of ? (
          <>
            {" "}
            · re-run of <Link to={`/backtests/${data.rerun_of}`}>#{data.rerun_of}</Link>
          </>
        ) : null}
      </p>
      <ErrorBanner error={actionError} />
      {running && (
        <div className="panel" aria-live="polite">
          <label htmlFor="run-progress">
            {data.status === "queued"
              ? "Queued…"
              : `Running${live?.stage ? `: ${live.stage}` : "…"}`}{" "}
            {Math.round(progress)}%
          </label>
          <progress id="run-progress" max={100} value={progress} />
        </div>
      )}
      {data.status === "failed" && (
        <div className="banner banner-error" role="alert">
          <strong>The run failed.</strong> {data.error}
        </div>
      )}
      {data.status === "cancelled" && <p className="banner banner-warn">This run was cancelled.</p>}
      {done && (
        <>
          <div className="grid summary">
            <Metric
              label="Return"
              value={formatPercent(data.stats_display?.return_pct as string)}
              sign={data.return_pct}
            />
            <Metric label="Sharpe" value={String(data.stats_display?.sharpe ?? "—")} />
            <Metric
              label="Max drawdown"
              value={formatPercent(data.stats_display?.max_drawdown_pct as string)}
            />
            <Metric label="Trades" value={String(data.stats_display?.trades ?? tradeList.length)} />
            <Metric
              label="Win rate"
              value={formatPercent(data.stats_display?.win_rate_pct as string)}
            />
          </div>
          {data.no_trades_reason && (
            <div className="banner banner-warn" role="status">
              {data.no_trades_reason}
              {Object.keys(data.rejected_entries ?? {}).length > 0 && (
                <ul>
                  {Object.entries(data.rejected_entries).map(([reason, n]) => (
                    <li key={reason}>
                      {reason}: {n} entries refused
                    </li>
                  ))}
                </ul>
              )}
            </div>
          )}
          <section className="panel">
            <h2>Chart</h2>
            <ErrorBanner error={candles.error} />
            {candles.loading || trades.loading ? (
              <Spinner label="Loading the chart…" />
            ) : (
              <Suspense fallback={<Spinner label="Loading the chart…" />}>
                <BacktestChart
                  candles={candles.data ?? null}
                  trades={tradeList}
                  equity={data.equity_curve}
                  drawdown={data.drawdown_curve}
                  overlays={overlays}
                  selected={selected}
                  onSelect={setSelected}
                />
              </Suspense>
            )}
            {overlays.length > 0 && (
              <p className="muted">
                Overlays: {overlays.map((o) => o.name).join(", ")} (from the strategy).
              </p>
            )}
          </section>
          <div className="grid two">
            <section className="panel">
              <h2>Statistics</h2>
              <StatsTable stats={data.stats_display} />
            </section>
            <section className="panel">
              <h2>Analytics</h2>
              <Analytics trades={tradeList} />
            </section>
          </div>
          <section className="panel">
            <h2>Trades</h2>
            <ErrorBanner error={trades.error} />
            <TradeTable trades={tradeList} selected={selected} onSelect={setSelected} />
          </section>
        </>
      )}
      <ConfirmDialog
        open={confirm}
        title="Delete this backtest?"
        message={`Backtest #${id} and its trades will be deleted. This cannot be undone.`}
        onCancel={() => setConfirm(false)}
        onConfirm={() =>
          void act(async () => {
            setConfirm(false);
            await deleteRun(id);
            navigate("/backtests");
          })
        }
      />
    </div>
  );
}

function Metric({ label, value, sign }: { label: string; value: string; sign?: number | null }) {
  return (
    <div className="panel metric">
      <div className="muted">{label}</div>
      <div className={`metric-value ${signClass(sign)}`}>{value}</div>
    </div>
  );
}
