import { describe, expect, it } from "vitest";

import { binHeatmap, colour, score, sortRows } from "../heatmap";

const rows = [
  { "a.x": 10, "b.y": 40, "c.z": 1, sharpe: 0.5, total_charges: 10 },
  { "a.x": 10, "b.y": 40, "c.z": 2, sharpe: 1.5, total_charges: 30 },
  { "a.x": 20, "b.y": 40, "c.z": 1, sharpe: -1, total_charges: 5 },
  { "a.x": 10, "b.y": 50, "c.z": 1, sharpe: null, total_charges: 8 },
];

describe("heatmap binning", () => {
  it("bins on two parameters, keeping the best combination per cell", () => {
    const h = binHeatmap(rows, "a.x", "b.y", "sharpe");
    expect(h.xs).toEqual([10, 20]);
    expect(h.ys).toEqual([40, 50]);
    expect(h.cells[0]?.map((c) => c.value)).toEqual([1.5, -1]);
    expect(h.cells[0]?.[0]?.row).toBe(rows[1]);
    expect(h.cells[1]?.map((c) => c.value)).toEqual([null, null]);
    expect(h.cells[1]?.[0]?.row).toBe(rows[3]);
    expect(h.cells[1]?.[1]?.row).toBeNull();
    expect([h.min, h.max]).toEqual([-1, 1.5]);
  });

  it("prefers the smaller value for minimised metrics", () => {
    const h = binHeatmap(rows, "a.x", "b.y", "total_charges");
    expect(h.cells[0]?.[0]?.value).toBe(10);
    expect(score(10, 5, 30, "total_charges")).toBeCloseTo(0.8);
    expect(score(1.5, -1, 1.5, "sharpe")).toBe(1);
    expect(score(null, -1, 1.5, "sharpe")).toBeNull();
    expect(score(3, 3, 3, "sharpe")).toBe(1);
  });

  it("colours worst red, best green and empty grey", () => {
    expect(colour(0)).toMatch(/^hsl\(0,/);
    expect(colour(1)).toMatch(/^hsl\(120,/);
    expect(colour(null)).toBe("rgb(200, 200, 200)");
  });
});

describe("table sorting", () => {
  it("sorts both ways with empty values last", () => {
    expect(sortRows(rows, "sharpe", "desc").map((r) => r.sharpe)).toEqual([1.5, 0.5, -1, null]);
    expect(sortRows(rows, "sharpe", "asc").map((r) => r.sharpe)).toEqual([-1, 0.5, 1.5, null]);
  });
});
