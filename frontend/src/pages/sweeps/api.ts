/** The sweeps pages' calls to the documented API. */
import { api, unwrap, type components } from "../../api/client";
import { loadStrategy, loadVersions, saveStrategy } from "../../editor/api";
import type { GraphDoc } from "../../editor/types";
import { configToRequest, graphWithParams, rowParams, sweptParams, type Row } from "./combination";

export type Sweep = components["schemas"]["Sweep"];
export type SweepDetail = components["schemas"]["SweepDetail"];
export type SweepRequest = components["schemas"]["SweepRequestRequest"];
type BacktestRequest = components["schemas"]["BacktestRequestRequest"];

export function listSweeps(page: number) {
  return unwrap(api.GET("/api/backtest/sweeps", { params: { query: { page, page_size: 50 } } }));
}

export function getSweep(id: number): Promise<SweepDetail> {
  return unwrap(
    api.GET("/api/backtest/sweeps/{sweep_id}", { params: { path: { sweep_id: String(id) } } }),
  );
}

export function cancelSweep(id: number) {
  return unwrap(
    api.POST("/api/backtest/sweeps/{sweep_id}/cancel", {
      params: { path: { sweep_id: String(id) } },
    }),
  );
}

export function createSweep(body: SweepRequest) {
  return unwrap(api.POST("/api/backtest/sweeps", { body }));
}

export function listStrategies() {
  return unwrap(api.GET("/api/strategies", { params: { query: { page_size: 200 } } }));
}

/** Instruments whose symbol or name matches, with the candles stored for the first one. */
export async function findInstrument(symbol: string) {
  const list = await unwrap(
    api.GET("/api/marketdata/instruments", {
      params: { query: { search: symbol, page_size: 20 } },
    }),
  );
  const exact =
    list.results.find(
      (i) => i.symbol.toUpperCase() === symbol.toUpperCase() && i.kind === "index",
    ) ??
    list.results.find((i) => i.symbol.toUpperCase() === symbol.toUpperCase()) ??
    null;
  if (!exact) return null;
  return unwrap(
    api.GET("/api/marketdata/instruments/{instrument_id}", {
      params: { path: { instrument_id: String(exact.id) } },
    }),
  );
}

/**
 * Runs one row of a sweep as a backtest: the sweep's pinned version with the row's
 * parameters is saved as the strategy's newest version (nothing new when it already is
 * that graph), then run over the sweep's instrument, dates and settings.
 * Returns the new run's id and the version it pinned.
 */
export async function backtestCombination(
  sweep: SweepDetail,
  row: Row,
): Promise<{ run: number; version: number }> {
  if (sweep.strategy === null) throw new Error("The sweep's strategy was deleted.");
  const strategy = await loadStrategy(sweep.strategy);
  const pinned = (await loadVersions(sweep.strategy)).find((v) => v.id === sweep.strategy_version);
  if (!pinned) throw new Error("The sweep's strategy version is no longer readable.");
  const graph = graphWithParams(pinned.graph as GraphDoc, rowParams(row, sweptParams(sweep.grid)));
  const saved = await saveStrategy(strategy.id, strategy.name, strategy.description, graph);
  const body = {
    ...configToRequest(sweep.config),
    strategy: saved.id,
    version: saved.version,
    instrument: sweep.instrument,
    start: sweep.start,
    end: sweep.end,
  } as BacktestRequest;
  const accepted = await unwrap(api.POST("/api/backtest", { body }));
  return { run: accepted.id, version: saved.version };
}
