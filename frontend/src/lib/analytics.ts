/** Trade analytics by the entry's day, weekday and hour, in the user's zone. */
import { zonedParts } from "./time";

export interface Bucket {
  key: string;
  label: string;
  count: number;
  wins: number;
  pnl: number;
  winRate: number;
}

interface TradeLike {
  entry_time: string;
  pnl: number | string;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

function group(trades: TradeLike[], keyOf: (t: TradeLike) => [string, string]): Bucket[] {
  const map = new Map<string, Bucket>();
  for (const t of trades) {
    const [key, label] = keyOf(t);
    const b = map.get(key) ?? { key, label, count: 0, wins: 0, pnl: 0, winRate: 0 };
    const pnl = Number(t.pnl);
    b.count += 1;
    b.pnl += Number.isFinite(pnl) ? pnl : 0;
    if (pnl > 0) b.wins += 1;
    map.set(key, b);
  }
  return [...map.values()]
    .map((b) => ({ ...b, pnl: Math.round(b.pnl * 100) / 100, winRate: (100 * b.wins) / b.count }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export function byDay(trades: TradeLike[]): Bucket[] {
  return group(trades, (t) => {
    const d = zonedParts(t.entry_time).date;
    return [d, d];
  });
}

export function byWeekday(trades: TradeLike[]): Bucket[] {
  return group(trades, (t) => {
    const w = zonedParts(t.entry_time).weekday;
    return [String(w), WEEKDAYS[w] ?? "?"];
  });
}

export function byHour(trades: TradeLike[]): Bucket[] {
  return group(trades, (t) => {
    const h = zonedParts(t.entry_time).hour;
    const hh = String(h).padStart(2, "0");
    return [hh, `${hh}:00`];
  });
}
