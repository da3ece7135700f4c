/** Converting API data into chart series (pure, unit-tested). */
import type { SeriesMarker, Time, UTCTimestamp } from "lightweight-charts";
import { chartTime } from "../lib/time";

export interface CandleArrays {
  t: number[];
  o: number[];
  h: number[];
  l: number[];
  c: number[];
}

export interface TradeMark {
  seq: number;
  side: string;
  entry_time: string;
  exit_time: string;
  pnl: number | string;
}

export function candleData(c: CandleArrays) {
  return c.t.map((t, i) => ({
    time: chartTime(t * 1000) as UTCTimestamp,
    open: c.o[i]!,
    high: c.h[i]!,
    low: c.l[i]!,
    close: c.c[i]!,
  }));
}

/** The start of the bar holding `time` (chart times, sorted), or null outside them. */
export function snapToBar(times: number[], time: number): number | null {
  if (times.length === 0 || time < times[0]!) return null;
  let lo = 0;
  let hi = times.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (times[mid]! <= time) lo = mid;
    else hi = mid - 1;
  }
  return times[lo]!;
}

/** Entry arrows and exit circles, one pair per trade, ids "e<seq>" and "x<seq>". */
export function tradeMarkers(trades: TradeMark[], barTimes: number[]): SeriesMarker<Time>[] {
  const out: SeriesMarker<Time>[] = [];
  for (const t of trades) {
    const long = t.side === "long";
    const entry = snapToBar(barTimes, chartTime(t.entry_time));
    const exit = snapToBar(barTimes, chartTime(t.exit_time));
    if (entry !== null)
      out.push({
        id: `e${t.seq}`,
        time: entry as UTCTimestamp,
        position: long ? "belowBar" : "aboveBar",
        shape: long ? "arrowUp" : "arrowDown",
        color: long ? "#1a7f37" : "#cf222e",
        text: `#${t.seq} ${long ? "buy" : "sell"}`,
      });
    if (exit !== null)
      out.push({
        id: `x${t.seq}`,
        time: exit as UTCTimestamp,
        position: long ? "aboveBar" : "belowBar",
        shape: "circle",
        color: Number(t.pnl) >= 0 ? "#1a7f37" : "#cf222e",
        text: `#${t.seq} exit`,
      });
  }
  return out.sort((a, b) => Number(a.time) - Number(b.time));
}

/** [[iso time, value], ...] from the API into a line series, one point per chart time. */
export function curveData(curve: unknown[][] | null | undefined, scale = 1) {
  const seen = new Map<number, number>();
  for (const row of curve ?? []) {
    const [ts, v] = row as [string, number | string];
    const n = Number(v);
    if (!ts || !Number.isFinite(n)) continue;
    seen.set(chartTime(ts), n * scale);
  }
  return [...seen.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([time, value]) => ({ time: time as UTCTimestamp, value }));
}

/** An equity curve as % change from its first point: runs of different capital compare. */
export function percentCurve(curve: unknown[][] | null | undefined) {
  const data = curveData(curve);
  const first = data[0]?.value;
  if (!first) return [];
  return data.map((p) => ({ time: p.time, value: ((p.value - first) / first) * 100 }));
}

/** Exponential and simple moving averages for overlays, TA-Lib's way (EMA seeded by the
 * SMA of its first `period` values); null until there is enough data. */
export function sma(values: number[], period: number): (number | null)[] {
  const out: (number | null)[] = [];
  let sum = 0;
  values.forEach((v, i) => {
    sum += v;
    if (i >= period) sum -= values[i - period]!;
    out.push(i >= period - 1 ? sum / period : null);
  });
  return out;
}

export function ema(values: number[], period: number): (number | null)[] {
  const out: (number | null)[] = [];
  const k = 2 / (period + 1);
  let prev: number | null = null;
  values.forEach((v, i) => {
    if (i < period - 1) {
      out.push(null);
    } else if (prev === null) {
      prev = values.slice(0, period).reduce((a, b) => a + b, 0) / period;
      out.push(prev);
    } else {
      prev = v * k + prev * (1 - k);
      out.push(prev);
    }
  });
  return out;
}
