/** The statistics a sweep can rank by (engine.metrics NUMERIC_KEYS), with their labels. */
export const METRICS: { key: string; label: string }[] = [
  { key: "sharpe", label: "Sharpe Ratio" },
  { key: "return_pct", label: "Return [%]" },
  { key: "sortino", label: "Sortino Ratio" },
  { key: "calmar", label: "Calmar Ratio" },
  { key: "profit_factor", label: "Profit Factor" },
  { key: "win_rate_pct", label: "Win Rate [%]" },
  { key: "max_drawdown_pct", label: "Max. Drawdown [%]" },
  { key: "expectancy_pct", label: "Expectancy [%]" },
  { key: "sqn", label: "SQN" },
  { key: "equity_final", label: "Equity Final" },
  { key: "cagr_pct", label: "CAGR [%]" },
  { key: "return_ann_pct", label: "Return (Ann.) [%]" },
  { key: "avg_trade_pct", label: "Avg. Trade [%]" },
  { key: "trades", label: "# Trades" },
  { key: "kelly", label: "Kelly Criterion" },
  { key: "exposure_pct", label: "Exposure Time [%]" },
  { key: "volatility_ann_pct", label: "Volatility (Ann.) [%]" },
  { key: "total_charges", label: "Total Charges" },
  { key: "max_drawdown_duration_days", label: "Max. Drawdown Duration" },
  { key: "avg_drawdown_duration_days", label: "Avg. Drawdown Duration" },
  { key: "best_trade_pct", label: "Best Trade [%]" },
  { key: "worst_trade_pct", label: "Worst Trade [%]" },
  { key: "avg_drawdown_pct", label: "Avg. Drawdown [%]" },
  { key: "buy_hold_return_pct", label: "Buy & Hold Return [%]" },
  { key: "max_trade_duration_days", label: "Max. Trade Duration" },
  { key: "avg_trade_duration_days", label: "Avg. Trade Duration" },
  { key: "equity_peak", label: "Equity Peak" },
  { key: "duration_days", label: "Duration" },
  { key: "periods_per_year", label: "Periods per Year" },
];

export function metricLabel(key: string): string {
  return METRICS.find((m) => m.key === key)?.label ?? key;
}
