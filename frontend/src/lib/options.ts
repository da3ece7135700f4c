/** The `options` block shared by POST /api/backtest and POST /api/live/sessions: how a
 * strategy's option legs are priced (docs/backtests.md and docs/live.md, "Option legs").
 * The form's fields as typed, the request they make, and whether a strategy has legs. */
import type { components } from "../api/schema";

export type OptionsRequest = components["schemas"]["OptionsRequest"];
export type PremiumSource = OptionsRequest["premium_source"];

export interface OptionsFieldsValue {
  premiumSource: PremiumSource;
  /** "iv" for a constant IV, else the stored series' name. */
  ivMode: "iv" | NonNullable<OptionsRequest["iv_series"]>;
  iv: string;
  rate: string;
  shortMarginPct: string;
}

export const NEW_OPTIONS: OptionsFieldsValue = {
  premiumSource: "model",
  ivMode: "iv",
  iv: "0.14",
  rate: "0.065",
  shortMarginPct: "15",
};

/** The strategy has option legs: an action node of type `option_leg` (the engine's
 * `has_option_legs`). Takes a strategy's or a version's graph. */
export function hasOptionLegs(graph: unknown): boolean {
  const nodes = (graph as { nodes?: unknown } | null | undefined)?.nodes;
  if (!Array.isArray(nodes)) return false;
  return nodes.some((n) => {
    const node = n as { kind?: unknown; params?: { type?: unknown } } | null;
    return node?.kind === "action" && node.params?.type === "option_leg";
  });
}

/** The `options` block. A real source takes no IV; a model one takes the constant or the
 * series. Blank optional numbers are left to the server's defaults; typed ones are sent as
 * typed so the server names a bad one (`options.<field>`). */
export function optionsRequest(f: OptionsFieldsValue): OptionsRequest {
  const body: OptionsRequest = { premium_source: f.premiumSource };
  if (f.premiumSource !== "real") {
    if (f.ivMode === "iv") {
      if (f.iv.trim()) body.iv = Number(f.iv);
    } else body.iv_series = f.ivMode;
  }
  if (f.rate.trim()) body.rate = Number(f.rate);
  if (f.shortMarginPct.trim()) body.short_margin_pct = Number(f.shortMarginPct);
  return body;
}
