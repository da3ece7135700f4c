/** Strategies, templates, import/export. */
import { api, unwrap } from "./client";
import type { components } from "./schema";

export type StrategyList = components["schemas"]["StrategyList"];
export type Strategy = components["schemas"]["StrategyOutput"];
export type Template = components["schemas"]["TemplateOutput"];
export type StrategyExport = components["schemas"]["Export"];
export type StrategyImport = components["schemas"]["StrategyImportRequest"];
export type Version = components["schemas"]["VersionOutput"];

export function listStrategies(query: { search?: string; page?: number; page_size?: number } = {}) {
  return unwrap(api.GET("/api/strategies", { params: { query } }));
}

export function getStrategy(id: number) {
  return unwrap(
    api.GET("/api/strategies/{strategy_id}", { params: { path: { strategy_id: String(id) } } }),
  );
}

export function listVersions(id: number) {
  return unwrap(
    api.GET("/api/strategies/{strategy_id}/versions", {
      params: { path: { strategy_id: String(id) }, query: { page_size: 100 } },
    }),
  );
}

export function listTemplates() {
  return unwrap(api.GET("/api/strategies/templates"));
}

export function cloneTemplate(key: string, name: string) {
  return unwrap(
    api.POST("/api/strategies/templates/{key}/clone", {
      params: { path: { key } },
      body: { name },
    }),
  );
}

export function importStrategy(body: StrategyImport) {
  return unwrap(api.POST("/api/strategies/import", { body }));
}

export function exportStrategy(id: number) {
  return unwrap(
    api.GET("/api/strategies/{strategy_id}/export", {
      params: { path: { strategy_id: String(id) } },
    }),
  );
}

export function deleteStrategy(id: number) {
  return unwrap(
    api.DELETE("/api/strategies/{strategy_id}", { params: { path: { strategy_id: String(id) } } }),
  );
}

export function getVersion(id: number, number: number) {
  return unwrap(
    api.GET("/api/strategies/{strategy_id}/versions/{number}", {
      params: { path: { strategy_id: String(id), number: String(number) } },
    }),
  );
}
