/** The day's drift: the session's trades against a backtest of the same bars (docs/live.md,
 * "Drift report"). Read when asked, not on every step: the server may run a backtest for it. */
import { useState } from "react";
import { getSessionDrift, type DriftReport } from "../../api/live";
import { DataTable } from "../../components/DataTable";
import { ErrorBanner, Spinner, TextInput, fieldError } from "../../components/forms";
import { formatMoney, formatNumber, signClass } from "../../lib/format";
import { formatDateTime } from "../../lib/time";
import { useAsync } from "../../lib/useAsync";

export function DriftPanel({ sessionId }: { sessionId: number }) {
  const [day, setDay] = useState("");
  const drift = useAsync(() => getSessionDrift(sessionId, day || undefined), [sessionId, day]);
  const r = drift.data;
  return (
    <section className="panel stack" aria-labelledby="drift-h" data-testid="drift-panel">
      <div className="page-header">
        <h2 id="drift-h">Drift against a backtest</h2>
        <button
          type="button"
          onClick={drift.reload}
          disabled={drift.loading}
          aria-busy={drift.loading}
        >
          Refresh
        </button>
      </div>
      <TextInput
        label="Day (the session's last when empty)"
        type="date"
        value={day}
        onChange={(e) => setDay(e.target.value)}
        error={fieldError(drift.error, "day")}
      />
      <ErrorBanner error={drift.error} />
      {!r ? (
        drift.loading && <Spinner />
      ) : (
        <>
          <p className="muted small">
            {r.day}: {r.bars} bars, built {formatDateTime(r.built_at)}.
          </p>
          <DriftSummary r={r} />
          <DataTable
            label="Matched trades"
            rows={r.trades}
            rowKey={(t) => `${t.entry_time}-${t.side}`}
            empty="No trade on either side this day."
            columns={[
              { header: "Entry", cell: (t) => formatDateTime(t.entry_time) },
              { header: "Side", cell: (t) => t.side },
              { header: "Qty", num: true, cell: (t) => formatNumber(t.quantity, 0) },
              {
                header: "Entry live / backtest",
                num: true,
                cell: (t) =>
                  `${formatMoney(t.entry_price)} / ${formatMoney(t.backtest_entry_price)}`,
              },
              {
                header: "Exit live / backtest",
                num: true,
                cell: (t) => `${formatMoney(t.exit_price)} / ${formatMoney(t.backtest_exit_price)}`,
              },
              {
                header: "Exit reason",
                cell: (t) => t.exit_reason ?? t.backtest_exit_reason ?? "open",
              },
              { header: "Slippage (₹)", num: true, cell: (t) => formatMoney(t.slippage) },
              {
                header: "P&L difference (₹)",
                num: true,
                cell: (t) => (
                  <span className={signClass(t.pnl_difference)}>
                    {formatMoney(t.pnl_difference)}
                  </span>
                ),
              },
            ]}
          />
          {(r.unmatched_live.length > 0 || r.unmatched_backtest.length > 0) && (
            <p className="small">
              Only in the session: {r.unmatched_live.length} trade(s); only in the backtest:{" "}
              {r.unmatched_backtest.length} (a pause, a halt, a catch-up or a tick exit).
            </p>
          )}
        </>
      )}
    </section>
  );
}

function DriftSummary({ r }: { r: DriftReport }) {
  const s = r.summary;
  const rows: [string, string, number?][] = [
    ["Trades live / backtest", `${s.live_trades} / ${s.backtest_trades}`],
    ["Matched", String(s.matched)],
    ["P&L live (₹)", formatMoney(s.pnl_live), s.pnl_live],
    ["P&L backtest (₹)", formatMoney(s.pnl_backtest), s.pnl_backtest],
    ["Difference (₹)", formatMoney(s.pnl_difference), s.pnl_difference],
    ["Slippage (₹)", formatMoney(s.slippage)],
    ["Charges live (₹)", formatMoney(s.charges_live)],
  ];
  return (
    <dl className="summary-grid" aria-label="Drift summary">
      {rows.map(([label, value, sign]) => (
        <div key={label}>
          <dt className="muted small">{label}</dt>
          <dd className={`metric-value ${sign === undefined ? "" : signClass(sign)}`}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
