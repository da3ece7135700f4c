/** Home: recent runs, best strategies by return and by Sharpe, data status, unread alerts. */
import { Link } from "react-router-dom";
import { getRun, listRuns, type RunDetail } from "../../api/backtests";
import { getInstrument, searchInstruments } from "../../api/marketdata";
import { PageHeader } from "../../components/Layout";
import { ErrorBanner, Spinner } from "../../components/forms";
import { StatusBadge } from "../../components/StatusBadge";
import { useAsync } from "../../lib/useAsync";
import { useEvents, useReconnect } from "../../lib/useEvents";
import { useUser } from "../../lib/useAuth";
import { formatDateTime } from "../../lib/time";
import { formatPercent, signClass } from "../../lib/format";
import { statNumber } from "../../lib/stats";
import { useAlerts } from "../../lib/alerts";

const RANKED_RUNS = 30;

export interface StrategyBest {
  strategy: string;
  runId: number;
  value: number;
}

/** Each strategy's best run by a statistic, best first. */
export function bestByStrategy(runs: RunDetail[], key: string): StrategyBest[] {
  const best = new Map<string, StrategyBest>();
  for (const r of runs) {
    const value = statNumber(r.stats, key);
    if (value === null) continue;
    const name = r.strategy_name || `#${r.strategy}`;
    const cur = best.get(name);
    if (!cur || value > cur.value) best.set(name, { strategy: name, runId: r.id, value });
  }
  return [...best.values()].sort((a, b) => b.value - a.value).slice(0, 5);
}

export default function DashboardPage() {
  const user = useUser();
  const recent = useAsync(() => listRuns({ page_size: 8 }), []);
  const ranked = useAsync(async () => {
    const done = await listRuns({ status: "done", page_size: RANKED_RUNS });
    return Promise.all(done.results.map((r) => getRun(r.id)));
  }, []);
  // The instruments of recent runs first, then the indices: what a trader here watches.
  const data = useAsync(async () => {
    const [runs, indices] = await Promise.all([
      listRuns({ page_size: 20 }),
      searchInstruments("", 6, { kind: "index" }),
    ]);
    const ids = [
      ...new Set([...runs.results.map((r) => r.instrument), ...indices.results.map((i) => i.id)]),
    ];
    return Promise.all(ids.slice(0, 6).map((id) => getInstrument(id)));
  }, []);
  const alerts = useAlerts();
  const reload = () => {
    recent.reload();
    ranked.reload();
  };
  useReconnect(reload);
  useEvents(reload, ["backtest.finished", "backtest.failed", "backtest.cancelled"]);

  return (
    <div className="stack">
      <PageHeader title={`Welcome${user.name ? `, ${user.name}` : ""}`}>
        <Link className="button primary" to="/backtests/new">
          New backtest
        </Link>
        <Link className="button" to="/strategies/new">
          New strategy
        </Link>
      </PageHeader>
      <div className="grid">
        <section className="panel" aria-labelledby="recent-h">
          <h2 id="recent-h">Recent runs</h2>
          <ErrorBanner error={recent.error} />
          {!recent.data ? (
            <Spinner />
          ) : recent.data.results.length === 0 ? (
            <p className="muted">
              No backtests yet. <Link to="/strategies">Pick a strategy</Link> and run one.
            </p>
          ) : (
            <ul className="list">
              {recent.data.results.map((r) => (
                <li key={r.id}>
                  <Link to={`/backtests/${r.id}`}>
                    #{r.id} {r.strategy_name}
                  </Link>{" "}
                  <span className="muted">
                    {r.symbol} · {formatDateTime(r.created_at)}
                  </span>{" "}
                  <StatusBadge status={r.status} />{" "}
                  <span className={signClass(r.return_pct)}>{formatPercent(r.return_pct)}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="panel" aria-labelledby="best-h">
          <h2 id="best-h">Best strategies</h2>
          <ErrorBanner error={ranked.error} />
          {!ranked.data ? (
            <Spinner />
          ) : ranked.data.length === 0 ? (
            <p className="muted">Finished runs rank your strategies here.</p>
          ) : (
            <div className="two-col">
              <Ranking
                title="By return"
                rows={bestByStrategy(ranked.data, "return_pct")}
                unit="%"
              />
              <Ranking title="By Sharpe" rows={bestByStrategy(ranked.data, "sharpe")} />
            </div>
          )}
          <p className="muted small">From your last {RANKED_RUNS} finished runs.</p>
        </section>
        <section className="panel" aria-labelledby="data-h">
          <h2 id="data-h">Data status</h2>
          <ErrorBanner error={data.error} />
          {!data.data ? (
            <Spinner />
          ) : data.data.length === 0 ? (
            <p className="muted">No instruments have data yet.</p>
          ) : (
            <ul className="list">
              {data.data.map((i) => {
                const last = i.stored.reduce<string | null>(
                  (a, s) => (s.last && (!a || s.last > a) ? s.last : a),
                  null,
                );
                return (
                  <li key={i.id}>
                    <strong>{i.symbol}</strong>{" "}
                    <span className="muted">
                      {i.stored.length
                        ? `${i.stored.map((s) => s.timeframe).join(", ")} · last bar ${formatDateTime(last)}`
                        : "no bars stored"}
                    </span>
                  </li>
                );
              })}
            </ul>
          )}
        </section>
        <section className="panel" aria-labelledby="alerts-h">
          <h2 id="alerts-h">
            Unread alerts{" "}
            {alerts.unread.length > 0 && <span className="badge">{alerts.unread.length}</span>}
          </h2>
          <ErrorBanner error={alerts.error} />
          {alerts.unread.length === 0 ? (
            <p className="muted">
              Nothing new. <Link to="/alerts">Manage alerts</Link>
            </p>
          ) : (
            <>
              <ul className="list">
                {alerts.unread.slice(0, 6).map((d) => (
                  <li key={d.id}>
                    <strong>{d.subject || d.event_type}</strong>{" "}
                    <span className="muted">{formatDateTime(d.created_at)}</span>
                    <div className="small">{d.body.split("\n")[0]}</div>
                  </li>
                ))}
              </ul>
              <button type="button" onClick={alerts.markAllRead}>
                Mark all read
              </button>
            </>
          )}
        </section>
      </div>
    </div>
  );
}

function Ranking({
  title,
  rows,
  unit = "",
}: {
  title: string;
  rows: StrategyBest[];
  unit?: string;
}) {
  return (
    <div>
      <h3>{title}</h3>
      <ol className="list">
        {rows.map((r) => (
          <li key={r.strategy}>
            <Link to={`/backtests/${r.runId}`}>{r.strategy}</Link>{" "}
            <span className={signClass(r.value)}>
              {r.value.toFixed(2)}
              {unit}
            </span>
          </li>
        ))}
      </ol>
    </div>
  );
}
