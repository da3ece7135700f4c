/** The editor's calls to the documented Strategies API (typed by the generated schema). */
import { api, unwrap, type components } from "../api/client";
import { ApiError } from "../api/errors";
import { shortField } from "./problems";
import type { GraphDoc, IndicatorEntry, Problem } from "./types";

export type Strategy = components["schemas"]["StrategyOutput"];
export type Version = components["schemas"]["VersionOutput"];

export interface Verdict {
  valid: boolean;
  version: number;
  errors: Problem[];
  warnings: Problem[];
}

let catalogueCache: Promise<IndicatorEntry[]> | null = null;

/** The whole indicator catalogue, read once per page load (it changes only with a deploy). */
export function loadIndicators(): Promise<IndicatorEntry[]> {
  catalogueCache ??= unwrap(api.GET("/api/indicators")).then(
    (body) => body.results as unknown as IndicatorEntry[],
  );
  catalogueCache.catch(() => {
    catalogueCache = null;
  });
  return catalogueCache;
}

export function loadStrategy(id: number): Promise<Strategy> {
  return unwrap(
    api.GET("/api/strategies/{strategy_id}", { params: { path: { strategy_id: String(id) } } }),
  );
}

export function createStrategy(
  name: string,
  description: string,
  graph: GraphDoc,
): Promise<Strategy> {
  return unwrap(api.POST("/api/strategies", { body: { name, description, graph } }));
}

/** PUT the whole strategy: a changed graph becomes a new version; an unchanged one does not. */
export function saveStrategy(
  id: number,
  name: string,
  description: string,
  graph: GraphDoc,
): Promise<Strategy> {
  return unwrap(
    api.PUT("/api/strategies/{strategy_id}", {
      params: { path: { strategy_id: String(id) } },
      body: { name, description, graph },
    }),
  );
}

/** The verdict on the stored strategy: a 400 is an answer here (the errors), not a failure. */
export async function validateStrategy(id: number): Promise<Verdict> {
  const { data, error, response } = await api.POST("/api/strategies/{strategy_id}/validate", {
    params: { path: { strategy_id: String(id) } },
  });
  const body = (response.ok ? data : error) as Partial<Verdict> | undefined;
  if (!body || (response.status !== 200 && response.status !== 400) || !Array.isArray(body.errors))
    throw new ApiError(response.status, error);
  return {
    valid: Boolean(body.valid),
    version: Number(body.version),
    errors: body.errors.map((e) => ({
      ...e,
      field: shortField(e.node, e.field),
      code: "invalid_graph",
    })),
    warnings: (body.warnings ?? []).map((w) => ({ ...w, field: shortField(w.node, w.field) })),
  };
}

/** Every version, newest first (the list is paginated; strategies rarely have many). */
export async function loadVersions(id: number): Promise<Version[]> {
  const out: Version[] = [];
  for (let page = 1; page <= 50; page++) {
    const body = await unwrap(
      api.GET("/api/strategies/{strategy_id}/versions", {
        params: { path: { strategy_id: String(id) }, query: { page, page_size: 200 } },
      }),
    );
    out.push(...body.results);
    if (!body.next) break;
  }
  return out;
}

export function loadVersion(id: number, n: number): Promise<Version> {
  return unwrap(
    api.GET("/api/strategies/{strategy_id}/versions/{number}", {
      params: { path: { strategy_id: String(id), number: String(n) } },
    }),
  );
}
