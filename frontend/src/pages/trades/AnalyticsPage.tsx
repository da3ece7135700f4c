/** Trade analytics: the summary and P&L by day, weekday, hour of exit, instrument, strategy. */
import { useState } from "react";
import { getTradeAnalytics, listAccounts } from "../../api/trades";
import { BarChart } from "../../components/BarChart";
import { GroupChooser } from "../../components/GroupChooser";
import { PageHeader } from "../../components/Layout";
import { ErrorBanner, Select, Spinner } from "../../components/forms";
import { formatMoney, signClass } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";
import { useEvents, useReconnect } from "../../lib/useEvents";
import { TradesNav } from "./TradesNav";
import { GROUPS, groupLabel, summaryRows, winRate, type GroupView } from "./analytics";

export default function TradeAnalyticsPage() {
  const [account, setAccount] = useState("");
  const [view, setView] = useState<GroupView>("day");
  const accounts = useAsync(() => listAccounts(), []);
  const analytics = useAsync(
    () => getTradeAnalytics(account ? { account: Number(account) } : {}),
    [account],
  );
  useEvents((ev) => {
    if (ev.type === "order.filled") analytics.reload();
  });
  useReconnect(analytics.reload);

  const data = analytics.data;
  const groups = data ? data[GROUPS[view]] : [];
  return (
    <div className="stack">
      <PageHeader title="Trade analytics" />
      <TradesNav />
      <div className="narrow">
        <Select
          label="Account"
          value={account}
          onChange={(e) => setAccount(e.target.value)}
          options={[
            { value: "", label: "All accounts" },
            ...(accounts.data?.results ?? []).map((a) => ({
              value: String(a.id),
              label: `${a.name} (${a.broker})`,
            })),
          ]}
        />
      </div>
      <ErrorBanner error={analytics.error} />
      {!data ? (
        !analytics.error && <Spinner />
      ) : (
        <>
          <section className="panel stack" aria-labelledby="summary-h">
            <h2 id="summary-h">Summary</h2>
            <dl className="summary-grid" aria-label="Summary">
              {summaryRows(data.summary).map(([label, value]) => (
                <div key={label}>
                  <dt className="muted small">{label}</dt>
                  <dd className="metric-value">{value}</dd>
                </div>
              ))}
            </dl>
          </section>
          <section className="panel stack" aria-labelledby="groups-h">
            <h2 id="groups-h">P&amp;L by {view}</h2>
            <GroupChooser
              views={Object.keys(GROUPS) as GroupView[]}
              value={view}
              onChange={setView}
              text={(v) => (v === "hour" ? "hour of exit" : v)}
            />
            {groups.length === 0 ? (
              <p className="muted">No closed trades yet.</p>
            ) : (
              <>
                <BarChart
                  label={`P&L by ${view}`}
                  bars={groups.map((g) => ({
                    label: groupLabel(view, g.key).slice(view === "day" ? 5 : 0),
                    value: g.pnl,
                    title: `${groupLabel(view, g.key)}: ₹${formatMoney(g.pnl)}, ${g.trades} trades`,
                  }))}
                />
                <div className="table-wrap">
                  <table aria-label={`Trades by ${view}`}>
                    <thead>
                      <tr>
                        <th>{view}</th>
                        <th className="num">P&amp;L (₹)</th>
                        <th className="num">Win rate</th>
                        <th className="num">Trades</th>
                      </tr>
                    </thead>
                    <tbody>
                      {groups.map((g) => (
                        <tr key={g.key}>
                          <td>{groupLabel(view, g.key)}</td>
                          <td className={`num ${signClass(g.pnl)}`}>{formatMoney(g.pnl)}</td>
                          <td className="num">{winRate(g).toFixed(1)}%</td>
                          <td className="num">{g.trades}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </>
            )}
          </section>
        </>
      )}
    </div>
  );
}
