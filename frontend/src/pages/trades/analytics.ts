/** Labels for the trade analytics' groups and summary (the API sends keys and numbers). */
import type { AnalyticsGroup, TradeAnalytics } from "../../api/trades";
import { formatMoney } from "../../lib/format";

export const GROUPS = {
  day: "by_day",
  weekday: "by_weekday",
  hour: "by_hour",
  instrument: "by_instrument",
  strategy: "by_strategy",
} as const;
export type GroupView = keyof typeof GROUPS;

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** A group's label: weekdays by name whether the key is a number or a name, hours as
 * "09:00" (IST, as the API groups them), anything else as sent. */
export function groupLabel(view: GroupView, key: string): string {
  if (view === "weekday" && /^\d$/.test(key)) return WEEKDAYS[Number(key)] ?? key;
  if (view === "hour" && /^\d{1,2}$/.test(key)) return `${key.padStart(2, "0")}:00`;
  return key;
}

export function winRate(g: AnalyticsGroup): number {
  return g.trades ? (100 * g.wins) / g.trades : 0;
}

export function streakText(n: number): string {
  if (n === 0) return "—";
  return n > 0 ? `${n} win${n === 1 ? "" : "s"}` : `${-n} loss${n === -1 ? "" : "es"}`;
}

/** Rupees with the sign first: "-₹0.04", never "₹-0.04". */
export function rupees(v: number | null): string {
  if (v === null) return "—";
  return `${v < 0 ? "-" : ""}₹${formatMoney(Math.abs(v))}`;
}

/** The summary as label/value pairs, in reading order. */
export function summaryRows(s: TradeAnalytics["summary"]): [string, string][] {
  return [
    ["Trades", String(s.trades)],
    ["Net P&L", rupees(s.net_pnl)],
    ["Win rate", s.win_rate === null ? "—" : `${s.win_rate.toFixed(1)}%`],
    ["Profit factor", s.profit_factor === null ? "—" : s.profit_factor.toFixed(2)],
    ["Expectancy", rupees(s.expectancy)],
    ["Average win", rupees(s.average_win)],
    ["Average loss", rupees(s.average_loss)],
    ["Max drawdown", rupees(s.max_drawdown)],
    ["Longest win streak", String(s.longest_win_streak)],
    ["Longest loss streak", String(s.longest_loss_streak)],
    ["Current streak", streakText(s.current_streak)],
  ];
}
