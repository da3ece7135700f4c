import { describe, expect, it } from "vitest";
import { byDay, byHour, byWeekday } from "./analytics";

const trades = [
  { entry_time: "2026-01-05T03:50:00Z", pnl: 100 }, // Mon 09:20 IST
  { entry_time: "2026-01-05T04:10:00Z", pnl: -40 }, // Mon 09:40 IST
  { entry_time: "2026-01-06T08:40:00Z", pnl: "25.5" }, // Tue 14:10 IST
];

describe("trade analytics in IST", () => {
  it("groups by day with P&L, count and win rate", () => {
    expect(byDay(trades)).toEqual([
      { key: "2026-01-05", label: "2026-01-05", count: 2, wins: 1, pnl: 60, winRate: 50 },
      { key: "2026-01-06", label: "2026-01-06", count: 1, wins: 1, pnl: 25.5, winRate: 100 },
    ]);
  });
  it("groups by weekday", () => {
    expect(byWeekday(trades).map((b) => [b.label, b.count])).toEqual([
      ["Mon", 2],
      ["Tue", 1],
    ]);
  });
  it("groups by the hour of entry", () => {
    expect(byHour(trades).map((b) => [b.label, b.count, b.pnl])).toEqual([
      ["09:00", 2, 60],
      ["14:00", 1, 25.5],
    ]);
  });
});
