import { describe, expect, it } from "vitest";
import { ema, percentCurve, sma, snapToBar, tradeMarkers } from "./series";
import { chartTime } from "../lib/time";

describe("chart series", () => {
  it("snaps a time to the bar that holds it", () => {
    expect(snapToBar([60, 120, 180], 130)).toBe(120);
    expect(snapToBar([60, 120, 180], 180)).toBe(180);
    expect(snapToBar([60, 120, 180], 10)).toBeNull();
  });

  it("marks each trade's entry and exit on its bars, sorted by time", () => {
    const bars = ["2026-01-05T03:45:00Z", "2026-01-05T03:46:00Z", "2026-01-05T03:47:00Z"].map((t) =>
      chartTime(t),
    );
    const markers = tradeMarkers(
      [
        {
          seq: 1,
          side: "long",
          entry_time: "2026-01-05T03:45:00Z",
          exit_time: "2026-01-05T03:47:30Z",
          pnl: -5,
        },
      ],
      bars,
    );
    expect(markers.map((m) => [m.id, m.time, m.shape, m.color])).toEqual([
      ["e1", bars[0], "arrowUp", "#1a7f37"],
      ["x1", bars[2], "circle", "#cf222e"],
    ]);
  });

  it("computes SMA and a TA-Lib-seeded EMA", () => {
    expect(sma([1, 2, 3, 4], 2)).toEqual([null, 1.5, 2.5, 3.5]);
    const e = ema([1, 2, 3, 4], 3);
    expect(e[0]).toBeNull();
    expect(e[2]).toBe(2);
    expect(e[3]).toBe(3);
  });

  it("turns equity into % change from the start", () => {
    const c = percentCurve([
      ["2026-01-05T03:45:00Z", 100],
      ["2026-01-05T03:46:00Z", 110],
    ]);
    expect(c.map((p) => p.value)[0]).toBe(0);
    expect(c.map((p) => p.value)[1]).toBeCloseTo(10, 10);
  });
});
