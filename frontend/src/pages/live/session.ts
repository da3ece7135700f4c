/** The live dashboard's logic apart from React: which controls a session's status allows,
 * the create request a form makes, a `session.state` event folded into the session, and the
 * chart markers of the session's orders. */
import type { SeriesMarker, Time, UTCTimestamp } from "lightweight-charts";
import type { Session, SessionAction, SessionCreate, SessionEvent } from "../../api/live";
import type { RiskSettings } from "../../editor/types";
import { snapToBar } from "../../charts/series";
import { NEW_OPTIONS, optionsRequest, type OptionsFieldsValue } from "../../lib/options";
import { chartTime } from "../../lib/time";

export type Control = SessionAction | "delete";

/** The transitions of docs/live.md ("Controls"); square-off needs an open position. */
export function controlsFor(s: Pick<Session, "status" | "position">): Control[] {
  const out: Control[] = [];
  if (s.status === "draft" || s.status === "paused" || s.status === "stopped") out.push("start");
  if (s.status === "running") out.push("pause");
  if ((s.status === "running" || s.status === "paused") && s.position) out.push("square-off");
  if (s.status !== "stopped") out.push("stop");
  if (s.status !== "running" && s.status !== "paused") out.push("delete");
  return out;
}

export const CONTROL_TEXT: Record<Control, { label: string; confirm: string; danger: boolean }> = {
  start: {
    label: "Start",
    confirm: "The session trades on its account from the next bar.",
    danger: false,
  },
  pause: {
    label: "Pause",
    confirm: "No new entries; exits, stops and the square-off keep working.",
    danger: false,
  },
  stop: {
    label: "Stop",
    confirm: "The feed stops sending it bars. An open position stays open at the broker.",
    danger: true,
  },
  "square-off": {
    label: "Square off",
    confirm: "The open position is exited now with a market order, and the session pauses.",
    danger: true,
  },
  delete: {
    label: "Delete",
    confirm: "The session and its log are deleted; its orders stay in the trades journal.",
    danger: true,
  },
};

export interface SessionFields {
  name: string;
  strategy: string;
  version: string;
  account: string;
  instrument: string;
  timeframe: string;
  lots: string;
  capital: string;
  start: string;
  end: string;
  speed: string;
  risk: RiskSettings;
  /** How option legs are priced; sent only for a strategy with legs. */
  options: OptionsFieldsValue;
}

export const NEW_SESSION: SessionFields = {
  name: "",
  strategy: "",
  version: "",
  account: "",
  instrument: "",
  timeframe: "",
  lots: "1",
  capital: "500000",
  start: "",
  end: "",
  speed: "60",
  risk: {},
  options: NEW_OPTIONS,
};

/** The body of POST /api/live/sessions. Blank optional fields are left out so the server's
 * defaults apply; typed numbers are sent as typed so the server names a bad one. A strategy
 * with option legs (`legs`) gets the `options` block and 1 lot (legs size by their own lots,
 * docs/live.md "Option legs"); one without sends none. */
export function sessionRequest(f: SessionFields, legs = false): SessionCreate {
  const instrument = f.instrument.trim().toUpperCase();
  const body: SessionCreate = {
    strategy: Number(f.strategy),
    account: Number(f.account),
    instrument: /^\d+$/.test(instrument) ? Number(instrument) : instrument,
    lots: legs ? 1 : Number(f.lots),
  };
  if (legs) body.options = optionsRequest(f.options);
  if (f.name.trim()) body.name = f.name.trim();
  if (f.version) body.version = Number(f.version);
  if (f.timeframe) body.timeframe = f.timeframe;
  if (f.capital.trim()) body.capital = f.capital.trim();
  if (Object.keys(f.risk).length) body.risk_overrides = { ...f.risk };
  if (f.start) {
    body.replay = { start: f.start };
    if (f.end) body.replay.end = f.end;
    if (f.speed.trim()) body.replay.speed = Number(f.speed);
  }
  return body;
}

/** What a `session.state` event carries (live/services.py `_announce_state`). */
export interface StateEvent {
  session: number;
  status: Session["status"];
  bar: string | null;
  position: number;
  average_price: number | null;
  pnl_today: number;
  equity?: number;
  last_signal: Record<string, unknown> | null;
  indicators: Record<string, number | null>;
  levels: Record<string, unknown> | null;
}

/** The session with a step's announced state applied (the event is newer than the REST
 * read it lands on; an event of an older bar is ignored). The status is not taken from it:
 * a step's event can arrive after a stop; status changes come as `live.session` events,
 * which re-read the session. */
export function applyState(s: Session, ev: StateEvent): Session {
  if (ev.session !== s.id) return s;
  if (s.last_bar && ev.bar && Date.parse(ev.bar) < Date.parse(s.last_bar)) return s;
  return {
    ...s,
    last_bar: ev.bar,
    position: ev.position,
    average_price: ev.average_price,
    day_pnl: ev.pnl_today,
    last_signal: ev.last_signal,
    indicators: ev.indicators ?? {},
    levels: ev.levels,
  };
}

/** The signal flags that fired on the last bar ("none" when none did). */
export function signalText(signal: Record<string, unknown> | null | undefined): string {
  if (!signal) return "no bar yet";
  const fired = ["entry_long", "exit_long", "entry_short", "exit_short"].filter((k) => signal[k]);
  return fired.length ? fired.map((k) => k.replace("_", " ")).join(", ") : "none";
}

/** The next protective levels of an open position, as label/value rows (nulls: no such level). */
export function levelRows(levels: Record<string, unknown> | null | undefined): [string, string][] {
  if (!levels) return [];
  const num = (k: string) => {
    const v = levels[k];
    return typeof v === "number" && Number.isFinite(v) ? v.toFixed(2) : "—";
  };
  const reason = typeof levels.stop_reason === "string" ? ` (${levels.stop_reason})` : "";
  return [
    ["Stop", `${num("stop")}${levels.stop == null ? "" : reason}`],
    ["Target", num("target")],
    ["Average", num("average")],
    ["Day loss limit", num("day_loss_limit")],
  ];
}

/** One marker per order event: entries as arrows, exits as circles, on the bar they came from. */
export function orderMarkers(events: SessionEvent[], barTimes: number[]): SeriesMarker<Time>[] {
  const out: SeriesMarker<Time>[] = [];
  for (const e of events) {
    if (e.kind !== "order" || !e.bar_ts) continue;
    const d = (e.data ?? {}) as { intent?: string; side?: string; reason?: string };
    const at = snapToBar(barTimes, chartTime(e.bar_ts));
    if (at === null) continue;
    const buy = d.side === "BUY";
    const entry = d.intent === "entry";
    out.push({
      id: `o${e.id}`,
      time: at as UTCTimestamp,
      position: buy ? "belowBar" : "aboveBar",
      shape: entry ? (buy ? "arrowUp" : "arrowDown") : "circle",
      color: buy ? "#1a7f37" : "#cf222e",
      text: entry ? `${buy ? "buy" : "sell"}` : `exit${d.reason ? ` ${d.reason}` : ""}`,
    });
  }
  return out.sort((a, b) => Number(a.time) - Number(b.time));
}
