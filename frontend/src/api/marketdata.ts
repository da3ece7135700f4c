/** Instruments, candles and (staff) ingestion. */
import { api, unwrap, type Query } from "./client";
import type { components } from "./schema";

export type Instrument = components["schemas"]["InstrumentOutput"];
export type InstrumentDetail = components["schemas"]["InstrumentDetailOutput"];
export type Candles = components["schemas"]["CandlesOutput"];
export type Health = components["schemas"]["HealthOutput"];
export type Tracked = components["schemas"]["TrackedOutput"];
export type IngestionRun = components["schemas"]["IngestionRunOutput"];
export type Timeframe = components["schemas"]["TimeframeEnum"];

export function searchInstruments(
  search: string,
  page_size = 20,
  extra: Query<"/api/marketdata/instruments"> = {},
) {
  return unwrap(
    api.GET("/api/marketdata/instruments", {
      params: { query: { search, page_size, active: true, ...extra } },
    }),
  );
}

export function getInstrument(id: number) {
  return unwrap(
    api.GET("/api/marketdata/instruments/{instrument_id}", {
      params: { path: { instrument_id: String(id) } },
    }),
  );
}

export function getCandles(
  id: number,
  query: { start: string; end: string; timeframe: Timeframe },
) {
  return unwrap(
    api.GET("/api/marketdata/instruments/{instrument_id}/candles", {
      params: { path: { instrument_id: String(id) }, query },
    }),
  );
}

export function getHealth(
  id: number,
  query: { start?: string; end?: string; timeframe?: Timeframe } = {},
) {
  return unwrap(
    api.GET("/api/marketdata/instruments/{instrument_id}/health", {
      params: { path: { instrument_id: String(id) }, query },
    }),
  );
}

export function listTracked() {
  return unwrap(api.GET("/api/marketdata/tracked", { params: { query: { page_size: 200 } } }));
}

export function addTracked(body: components["schemas"]["TrackedInputRequest"]) {
  return unwrap(api.POST("/api/marketdata/tracked", { body }));
}

export function removeTracked(id: number) {
  return unwrap(
    api.DELETE("/api/marketdata/tracked/{tracked_id}", {
      params: { path: { tracked_id: String(id) } },
    }),
  );
}

export function listIngestionRuns(query: Query<"/api/marketdata/ingestion-runs"> = {}) {
  return unwrap(
    api.GET("/api/marketdata/ingestion-runs", { params: { query: { page_size: 50, ...query } } }),
  );
}
