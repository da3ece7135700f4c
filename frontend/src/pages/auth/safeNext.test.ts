import { describe, expect, it } from "vitest";
import { safeNext } from "./SignInPage";

describe("the page to return to after sign-in", () => {
  it("keeps a path of this app", () => {
    expect(safeNext("/backtests/7?tab=trades")).toBe("/backtests/7?tab=trades");
  });
  it("refuses another site", () => {
    expect(safeNext("//evil.example/x")).toBe("/");
    expect(safeNext("https://evil.example")).toBe("/");
    expect(safeNext(null)).toBe("/");
  });
});
