/** The trade list: IST times, charges with their breakdown, exit reasons. A row is a
 * button: Enter or a click selects the trade and scrolls the chart to it. */
import { useState } from "react";
import type { Trade } from "../../api/backtests";
import { Pager } from "../../components/Pager";
import { formatDateTime } from "../../lib/time";
import { formatMoney, signClass } from "../../lib/format";

const PAGE = 50;

export function TradeTable({
  trades,
  selected,
  onSelect,
}: {
  trades: Trade[];
  selected: number | null;
  onSelect: (seq: number) => void;
}) {
  const [page, setPage] = useState(1);
  const pages = Math.max(1, Math.ceil(trades.length / PAGE));
  const selIndex = trades.findIndex((t) => t.seq === selected);
  const shownPage = selIndex >= 0 ? Math.floor(selIndex / PAGE) + 1 : page;
  const rows = trades.slice((shownPage - 1) * PAGE, shownPage * PAGE);
  if (trades.length === 0) return <p className="muted">No closed trades.</p>;
  return (
    <>
      <div className="table-wrap">
        <table aria-label="Trades">
          <thead>
            <tr>
              <th>#</th>
              <th>Side</th>
              <th>Entry (IST)</th>
              <th>Exit (IST)</th>
              <th className="num">Entry</th>
              <th className="num">Exit</th>
              <th className="num">Qty</th>
              <th className="num">P&amp;L (₹)</th>
              <th className="num">Return</th>
              <th className="num">Charges (₹)</th>
              <th>Exit reason</th>
              <th className="num">Bars</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((t) => (
              <tr
                key={t.seq}
                className={t.seq === selected ? "selected clickable" : "clickable"}
                tabIndex={0}
                aria-selected={t.seq === selected}
                onClick={() => onSelect(t.seq)}
                onKeyDown={(e) => {
                  if (e.key === "Enter" || e.key === " ") {
                    e.preventDefault();
                    onSelect(t.seq);
                  }
                }}
              >
                <td>{t.seq}</td>
                <td>{t.side}</td>
                <td>{formatDateTime(t.entry_time)}</td>
                <td>{formatDateTime(t.exit_time)}</td>
                <td className="num">{t.display?.entry_price ?? t.entry_price}</td>
                <td className="num">{t.display?.exit_price ?? t.exit_price}</td>
                <td className="num">{t.quantity}</td>
                <td className={`num ${signClass(t.pnl)}`}>
                  {t.display?.pnl ?? formatMoney(t.pnl)}
                </td>
                <td className="num">{t.display?.return_pct ?? t.return_pct ?? "—"}%</td>
                <td className="num" title={breakdown(t)}>
                  <details>
                    <summary>{t.display?.charges ?? formatMoney(t.charges)}</summary>
                    <ChargesBreakdown trade={t} />
                  </details>
                </td>
                <td>{t.exit_reason}</td>
                <td className="num">{t.bars_held}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager
        page={shownPage}
        pages={pages}
        onPage={(p) => {
          setPage(p);
          if (selIndex >= 0) onSelect(-1);
        }}
        label="Trade pages"
      />
    </>
  );
}

function breakdown(t: Trade): string {
  return Object.entries(t.charges_breakdown ?? {})
    .map(([k, v]) => `${k}: ${formatMoney(v)}`)
    .join(", ");
}

function ChargesBreakdown({ trade }: { trade: Trade }) {
  const parts = Object.entries(trade.charges_breakdown ?? {});
  if (parts.length === 0) return <small className="muted">no breakdown</small>;
  return (
    <ul className="breakdown">
      {parts.map(([k, v]) => (
        <li key={k}>
          {k.replace(/_/g, " ")}: {formatMoney(v)}
        </li>
      ))}
    </ul>
  );
}
