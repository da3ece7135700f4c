import { describe, expect, it } from "vitest";

import {
  HISTORY_LIMIT,
  historyPush,
  historyRedo,
  historySeal,
  historyStart,
  historyUndo,
} from "../history";

describe("undo/redo stack", () => {
  it("undoes and redoes in order, and a new edit clears redo", () => {
    let h = historyStart(1);
    h = historyPush(h, 2);
    h = historyPush(h, 3);
    h = historyUndo(h);
    expect(h.present).toBe(2);
    h = historyUndo(h);
    expect(h.present).toBe(1);
    expect(historyUndo(h)).toBe(h);
    h = historyRedo(h);
    expect(h.present).toBe(2);
    h = historyPush(h, 9);
    expect(h.future).toEqual([]);
    expect(historyRedo(h)).toBe(h);
    expect(h.past).toEqual([1, 2]);
  });

  it("coalesces edits with the same key into one step until sealed", () => {
    let h = historyStart("a");
    h = historyPush(h, "ab", "drag:x");
    h = historyPush(h, "abc", "drag:x");
    expect(h.past).toEqual(["a"]);
    h = historySeal(h);
    h = historyPush(h, "abcd", "drag:x");
    expect(h.past).toEqual(["a", "abc"]);
    h = historyPush(h, "abcde", "param:y");
    expect(historyUndo(h).present).toBe("abcd");
  });

  it("ignores a no-op and caps the past", () => {
    let h = historyStart(0);
    expect(historyPush(h, 0)).toBe(h);
    for (let i = 1; i <= HISTORY_LIMIT + 10; i++) h = historyPush(h, i);
    expect(h.past).toHaveLength(HISTORY_LIMIT);
    expect(h.past[0]).toBe(10);
  });
});
