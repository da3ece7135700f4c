import { describe, expect, it } from "vitest";
import { groupLabel, rupees, streakText, summaryRows, winRate } from "./analytics";

describe("trade analytics labels", () => {
  it("labels hours as IST clock hours and keeps weekday names", () => {
    expect(groupLabel("hour", "09")).toBe("09:00");
    expect(groupLabel("hour", "9")).toBe("09:00");
    expect(groupLabel("weekday", "Mon")).toBe("Mon");
    expect(groupLabel("weekday", "4")).toBe("Fri");
    expect(groupLabel("day", "2026-11-30")).toBe("2026-11-30");
  });

  it("computes a group's win rate without dividing by zero", () => {
    expect(winRate({ key: "a", trades: 4, wins: 1, pnl: 0 })).toBe(25);
    expect(winRate({ key: "a", trades: 0, wins: 0, pnl: 0 })).toBe(0);
  });

  it("says streaks in words", () => {
    expect(streakText(0)).toBe("—");
    expect(streakText(1)).toBe("1 win");
    expect(streakText(3)).toBe("3 wins");
    expect(streakText(-1)).toBe("1 loss");
    expect(streakText(-2)).toBe("2 losses");
  });

  it("puts the sign before the rupee", () => {
    expect(rupees(-0.04)).toBe("-₹0.04");
    expect(rupees(1234567.5)).toBe("₹12,34,567.50");
    expect(rupees(null)).toBe("—");
  });

  it("shows missing ratios as a dash", () => {
    const rows = summaryRows({
      trades: 0,
      wins: 0,
      losses: 0,
      net_pnl: 0,
      gross_profit: 0,
      gross_loss: 0,
      win_rate: null,
      profit_factor: null,
      expectancy: null,
      average_win: null,
      average_loss: null,
      max_drawdown: 0,
      longest_win_streak: 0,
      longest_loss_streak: 0,
      current_streak: 0,
    });
    expect(Object.fromEntries(rows)["Profit factor"]).toBe("—");
    expect(Object.fromEntries(rows)["Win rate"]).toBe("—");
  });
});
