/** The statistics table's rows, in the engine's order (engine/metrics.py LABELS). */
export const STAT_LABELS: [key: string, label: string][] = [
  ["start", "Start"],
  ["end", "End"],
  ["duration_days", "Duration (days)"],
  ["exposure_pct", "Exposure time [%]"],
  ["equity_final", "Equity final"],
  ["equity_peak", "Equity peak"],
  ["return_pct", "Return [%]"],
  ["buy_hold_return_pct", "Buy & hold return [%]"],
  ["return_ann_pct", "Return (ann.) [%]"],
  ["volatility_ann_pct", "Volatility (ann.) [%]"],
  ["cagr_pct", "CAGR [%]"],
  ["sharpe", "Sharpe ratio"],
  ["sortino", "Sortino ratio"],
  ["calmar", "Calmar ratio"],
  ["max_drawdown_pct", "Max. drawdown [%]"],
  ["avg_drawdown_pct", "Avg. drawdown [%]"],
  ["max_drawdown_duration_days", "Max. drawdown duration (days)"],
  ["avg_drawdown_duration_days", "Avg. drawdown duration (days)"],
  ["trades", "# Trades"],
  ["win_rate_pct", "Win rate [%]"],
  ["best_trade_pct", "Best trade [%]"],
  ["worst_trade_pct", "Worst trade [%]"],
  ["avg_trade_pct", "Avg. trade [%]"],
  ["max_trade_duration_days", "Max. trade duration (days)"],
  ["avg_trade_duration_days", "Avg. trade duration (days)"],
  ["profit_factor", "Profit factor"],
  ["expectancy_pct", "Expectancy [%]"],
  ["sqn", "SQN"],
  ["kelly", "Kelly criterion"],
  ["total_charges", "Total charges (₹)"],
];

export function statValue(stats: Record<string, unknown> | null | undefined, key: string): string {
  const v = stats?.[key];
  if (v === null || v === undefined || v === "") return "—";
  return String(v);
}

export function statNumber(
  stats: Record<string, unknown> | null | undefined,
  key: string,
): number | null {
  const v = stats?.[key];
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}
