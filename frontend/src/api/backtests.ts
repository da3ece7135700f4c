/** Backtest runs: the only module that knows their URLs (pages call these functions). */
import { api, fetchAuthed, unwrap, type Query } from "./client";
import type { components } from "./schema";

export type RunList = components["schemas"]["RunList"];
export type RunDetail = components["schemas"]["RunDetail"];
export type RunStatus = components["schemas"]["BacktestStatusEnum"];
export type BacktestRequest = components["schemas"]["BacktestRequestRequest"];

/** One closed trade, as the API serves it (backtests/api/serializers.py TradeSerializer). */
export interface Trade {
  seq: number;
  side: "long" | "short";
  entry_time: string;
  exit_time: string;
  entry_price: number | string;
  exit_price: number | string;
  quantity: number | string;
  pnl: number | string;
  return_pct: number | string | null;
  charges: number | string;
  charges_breakdown: Record<string, number | string> | null;
  exit_reason: string;
  bars_held: number;
  display?: {
    entry_price: string;
    exit_price: string;
    pnl: string;
    charges: string;
    return_pct: string | null;
  };
}

export interface TradePage {
  count: number;
  results: Trade[];
}

export const FINISHED: RunStatus[] = ["done", "failed", "cancelled"];

export function listRuns(query: Query<"/api/backtest"> = {}) {
  return unwrap(api.GET("/api/backtest", { params: { query } }));
}

export function getRun(id: number) {
  // The run's summary, statistics and curves; its trades come from fetchTrades.
  return unwrap(api.GET("/api/backtest/{run_id}", { params: { path: { run_id: String(id) } } }));
}

const TRADES_PAGE = 1000; // the endpoint's largest page
const MAX_TRADES = 20_000;

/** Every closed trade of a run, in order, from the paginated GET /api/backtest/{id}/trades. */
export async function fetchTrades(id: number): Promise<Trade[]> {
  const out: Trade[] = [];
  for (let page = 1; out.length < MAX_TRADES; page++) {
    const res = await fetchAuthed(
      `/api/backtest/${id}/trades?page=${page}&page_size=${TRADES_PAGE}`,
    );
    const body = (await res.json()) as TradePage;
    const chunk = body.results ?? [];
    out.push(...chunk);
    if (chunk.length < TRADES_PAGE || out.length >= (body.count ?? 0)) break;
  }
  return out;
}

export function submitBacktest(body: BacktestRequest) {
  return unwrap(api.POST("/api/backtest", { body }));
}

export function cancelRun(id: number) {
  return unwrap(
    api.POST("/api/backtest/{run_id}/cancel", { params: { path: { run_id: String(id) } } }),
  );
}

export function rerunRun(id: number) {
  return unwrap(
    api.POST("/api/backtest/{run_id}/rerun", { params: { path: { run_id: String(id) } } }),
  );
}

export function deleteRun(id: number) {
  return unwrap(api.DELETE("/api/backtest/{run_id}", { params: { path: { run_id: String(id) } } }));
}

/** The trade list as CSV (times in the user's zone), saved through the browser. */
export async function downloadTradesCsv(id: number): Promise<void> {
  const res = await fetchAuthed(`/api/backtest/${id}/trades.csv`);
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = `backtest-${id}-trades.csv`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
