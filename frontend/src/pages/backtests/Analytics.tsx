/** P&L, win rate and count of trades by the entry's day, weekday and hour (user's zone). */
import { useMemo, useState } from "react";
import type { Trade } from "../../api/backtests";
import { BarChart } from "../../components/BarChart";
import { GroupChooser } from "../../components/GroupChooser";
import { byDay, byHour, byWeekday, type Bucket } from "../../lib/analytics";
import { formatMoney, signClass } from "../../lib/format";

const VIEWS = { weekday: byWeekday, hour: byHour, day: byDay } as const;
type View = keyof typeof VIEWS;

export function Analytics({ trades }: { trades: Trade[] }) {
  const [view, setView] = useState<View>("weekday");
  const buckets = useMemo(() => VIEWS[view](trades), [trades, view]);
  if (trades.length === 0) return <p className="muted">No trades to analyse.</p>;
  return (
    <div className="stack">
      <GroupChooser
        views={Object.keys(VIEWS) as View[]}
        value={view}
        onChange={setView}
        text={(v) => (v === "hour" ? "hour of entry" : v)}
      />
      <BarChart
        label={`P&L by ${view}`}
        bars={buckets.map((b) => ({
          label: b.label.slice(view === "day" ? 5 : 0),
          value: b.pnl,
          title: tip(b),
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
            {buckets.map((b) => (
              <tr key={b.key}>
                <td>{b.label}</td>
                <td className={`num ${signClass(b.pnl)}`}>{formatMoney(b.pnl)}</td>
                <td className="num">{b.winRate.toFixed(1)}%</td>
                <td className="num">{b.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function tip(b: Bucket): string {
  return `${b.label}: ₹${formatMoney(b.pnl)}, ${b.count} trades, ${b.winRate.toFixed(1)}% won`;
}
