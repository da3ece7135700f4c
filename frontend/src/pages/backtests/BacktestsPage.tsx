/** Every run of the user, newest first, live: pick two or more to compare. */
import { useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import { listRuns, type RunStatus } from "../../api/backtests";
import { PageHeader } from "../../components/Layout";
import { ErrorBanner, Select, Spinner } from "../../components/forms";
import { Pager } from "../../components/Pager";
import { StatusBadge } from "../../components/StatusBadge";
import { useAsync } from "../../lib/useAsync";
import { useEvents, useReconnect } from "../../lib/useEvents";
import { formatDate, formatDateTime } from "../../lib/time";
import { formatPercent, signClass } from "../../lib/format";

const PAGE = 25;

export default function BacktestsPage() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const page = Number(params.get("page") ?? 1);
  const status = (params.get("status") ?? "") as RunStatus | "";
  const runs = useAsync(
    () => listRuns({ page, page_size: PAGE, ...(status ? { status } : {}) }),
    [page, status],
  );
  const [picked, setPicked] = useState<number[]>([]);
  useReconnect(runs.reload);
  useEvents(() => runs.reload(), ["backtest.finished", "backtest.failed", "backtest.cancelled"]);

  const toggle = (id: number) =>
    setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p, id]));

  return (
    <div className="stack">
      <PageHeader title="Backtests">
        <button
          type="button"
          disabled={picked.length < 2}
          onClick={() => navigate(`/compare?runs=${picked.join(",")}`)}
        >
          Compare selected ({picked.length})
        </button>
        <Link className="button primary" to="/backtests/new">
          New backtest
        </Link>
      </PageHeader>
      <div className="row">
        <Select
          label="Status"
          value={status}
          options={[
            { value: "", label: "All" },
            ...["queued", "running", "done", "failed", "cancelled"].map((s) => ({
              value: s,
              label: s,
            })),
          ]}
          onChange={(e) => setParams(e.target.value ? { status: e.target.value } : {})}
        />
      </div>
      <ErrorBanner error={runs.error} />
      {!runs.data ? (
        <Spinner />
      ) : runs.data.count === 0 ? (
        <p className="muted">
          No backtests yet. <Link to="/backtests/new">Run your first one</Link>.
        </p>
      ) : (
        <div className="table-wrap">
          <table aria-label="Backtests">
            <thead>
              <tr>
                <th>Compare</th>
                <th>#</th>
                <th>Strategy</th>
                <th>Instrument</th>
                <th>Range</th>
                <th>Status</th>
                <th className="num">Return</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {runs.data.results.map((r) => (
                <tr key={r.id}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Compare backtest ${r.id}`}
                      checked={picked.includes(r.id)}
                      disabled={r.status !== "done"}
                      onChange={() => toggle(r.id)}
                    />
                  </td>
                  <td>
                    <Link to={`/backtests/${r.id}`}>#{r.id}</Link>
                  </td>
                  <td>
                    {r.strategy_name} v{r.version}
                  </td>
                  <td>
                    {r.symbol} {r.timeframe}
                  </td>
                  <td>
                    {formatDate(r.start)} → {formatDate(r.end)}
                  </td>
                  <td>
                    <StatusBadge status={r.status} />
                  </td>
                  <td className={`num ${signClass(r.return_pct)}`}>
                    {formatPercent(r.return_pct)}
                  </td>
                  <td>{formatDateTime(r.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {runs.data && (
        <Pager
          page={page}
          pages={Math.ceil(runs.data.count / PAGE)}
          onPage={(p) => setParams({ ...(status ? { status } : {}), page: String(p) })}
        />
      )}
    </div>
  );
}
