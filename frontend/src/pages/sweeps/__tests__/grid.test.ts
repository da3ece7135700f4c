import { describe, expect, it } from "vitest";

import { buildGrid, countCombinations, defaultRow, rangeValues, type GridRow } from "../grid";

const range = (path: string, start: string, stop: string, step: string): GridRow => ({
  path,
  mode: "range",
  start,
  stop,
  step,
  list: "",
});

describe("sweep grid", () => {
  it("builds ranges with the stop included, like the engine", () => {
    expect(rangeValues(5, 13, 2)).toEqual([5, 7, 9, 11, 13]);
    expect(rangeValues(5, 14, 2)).toEqual([5, 7, 9, 11, 13]);
    expect(rangeValues(0.1, 0.3, 0.1)).toEqual([0.1, 0.2, 0.3]);
  });

  it("builds the request grid and counts combinations", () => {
    const got = buildGrid(
      [
        range("ema_1.timeperiod", "10", "30", "10"),
        { ...range("ema_2.timeperiod", "", "", ""), mode: "list", list: "40, 50 60" },
      ],
      "",
    );
    expect(got).toEqual({
      ok: true,
      grid: {
        "ema_1.timeperiod": { start: 10, stop: 30, step: 10 },
        "ema_2.timeperiod": [40, 50, 60],
      },
      values: { "ema_1.timeperiod": [10, 20, 30], "ema_2.timeperiod": [40, 50, 60] },
      count: 9,
    });
  });

  it("counts what passes a constraint", () => {
    const values = { "a.x": [5, 10, 15, 20], "b.y": [10, 20], "c.z": [1, 2, 3] };
    expect(countCombinations(values, "a.x < b.y")).toBe((1 + 3) * 3);
    expect(countCombinations(values, "a.x >= 10")).toBe(3 * 2 * 3);
    expect(countCombinations(values, "a.x < q.w")).toBe("'q.w' is not a swept parameter");
    expect(countCombinations(values, "a.x <<< b.y")).toMatch(/write it as/);
  });

  it("names the field of each mistake", () => {
    expect(buildGrid([range("a.x", "10", "5", "1")], "")).toEqual({
      ok: false,
      errors: [{ field: "grid.a.x", message: "from must be at most to, and the step above 0" }],
    });
    expect(buildGrid([range("a.x", "1", "5000", "1")], "")).toMatchObject({
      ok: false,
      errors: [{ field: "grid.a.x" }],
    });
    expect(
      buildGrid([{ ...range("a.x", "", "", ""), mode: "list", list: "1, two" }], ""),
    ).toMatchObject({ ok: false });
    expect(buildGrid([range("a.x", "1", "2", "1"), range("a.x", "1", "2", "1")], "")).toMatchObject(
      {
        ok: false,
        errors: [{ field: "grid.a.x", message: "is listed twice" }],
      },
    );
    expect(buildGrid([], "")).toMatchObject({ ok: false, errors: [{ field: "grid" }] });
    expect(buildGrid([range("a.x", "1", "2", "1")], "a.x > 5")).toEqual({
      ok: false,
      errors: [{ field: "constraint", message: "no combination passes the constraint" }],
    });
  });

  it("suggests a range around the current value inside the allowed bounds", () => {
    expect(defaultRow("ema_1.timeperiod", 20, "int", 1, 100000)).toMatchObject({
      start: "10",
      stop: "30",
      step: "5",
    });
    expect(defaultRow("ema_1.timeperiod", 2, "int", 1, 100000)).toMatchObject({
      start: "1",
      stop: "4",
      step: "1",
    });
    expect(defaultRow("st.factor", 3, "float", 0, 1000)).toMatchObject({
      start: "1.5",
      stop: "4.5",
      step: "0.75",
    });
  });
});
