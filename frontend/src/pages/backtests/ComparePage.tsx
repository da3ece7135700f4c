/** Two or more runs side by side: the statistics and the equity curves overlaid. */
import { lazy, Suspense, useMemo } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { getRun } from "../../api/backtests";
import { PageHeader } from "../../components/Layout";
import { ErrorBanner, Spinner } from "../../components/forms";
import { useAsync } from "../../lib/useAsync";
import { STAT_LABELS, statNumber, statValue } from "../../lib/stats";

const CompareChart = lazy(() => import("../../charts/CompareChart"));
// Higher is better for these; lower for drawdowns; the best cell of each row is marked.
const HIGHER = new Set([
  "return_pct",
  "sharpe",
  "sortino",
  "calmar",
  "cagr_pct",
  "win_rate_pct",
  "profit_factor",
  "expectancy_pct",
  "sqn",
  "equity_final",
]);
const LOWER = new Set(["max_drawdown_pct", "avg_drawdown_pct", "total_charges"]);

export default function ComparePage() {
  const [params] = useSearchParams();
  const ids = (params.get("runs") ?? "")
    .split(",")
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
  const key = ids.join(",");
  const runs = useAsync(() => Promise.all(ids.map((id) => getRun(id))), [key]);
  const lines = useMemo(
    () =>
      (runs.data ?? []).map((r) => ({
        label: `#${r.id} ${r.strategy_name}`,
        curve: r.equity_curve,
      })),
    [runs.data],
  );

  if (ids.length < 2)
    return (
      <div className="stack">
        <PageHeader title="Compare backtests" />
        <p>
          Pick two or more finished runs on the <Link to="/backtests">Backtests</Link> page and
          choose “Compare selected”.
        </p>
      </div>
    );
  if (runs.error) return <ErrorBanner error={runs.error} />;
  if (!runs.data) return <Spinner />;
  const data = runs.data;
  return (
    <div className="stack">
      <PageHeader title={`Compare ${data.length} backtests`} />
      <section className="panel">
        <h2>Equity (% from start)</h2>
        <Suspense fallback={<Spinner label="Loading the chart…" />}>
          <CompareChart lines={lines} />
        </Suspense>
      </section>
      <section className="panel">
        <h2>Statistics</h2>
        <div className="table-wrap">
          <table aria-label="Statistics compared">
            <thead>
              <tr>
                <th>Statistic</th>
                {data.map((r) => (
                  <th key={r.id} className="num">
                    <Link to={`/backtests/${r.id}`}>#{r.id}</Link>
                    <br />
                    <small>
                      {r.strategy_name} v{r.version} · {r.symbol}
                    </small>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {STAT_LABELS.filter(([k]) => k !== "start" && k !== "end").map(([k, label]) => {
                const best = bestIndex(
                  data.map((r) => statNumber(r.stats_display, k)),
                  k,
                );
                return (
                  <tr key={k}>
                    <th scope="row">{label}</th>
                    {data.map((r, i) => (
                      <td key={r.id} className={`num${i === best ? " best" : ""}`}>
                        {statValue(r.stats_display, k)}
                      </td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}

function bestIndex(values: (number | null)[], key: string): number {
  const dir = HIGHER.has(key) ? 1 : LOWER.has(key) ? -1 : 0;
  if (!dir) return -1;
  let best = -1;
  values.forEach((v, i) => {
    if (v === null) return;
    const cur = best >= 0 ? values[best]! : null;
    if (cur === null || (dir > 0 ? v > cur : Math.abs(v) < Math.abs(cur))) best = i;
  });
  return best;
}
