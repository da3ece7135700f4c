import { describe, expect, it } from "vitest";
import { backoffDelay } from "./ws";

describe("reconnect back-off", () => {
  it("doubles up to a ceiling, with jitter in the upper half", () => {
    expect(backoffDelay(0, () => 0)).toBe(500);
    expect(backoffDelay(0, () => 1)).toBe(1000);
    expect(backoffDelay(3, () => 1)).toBe(8000);
    expect(backoffDelay(20, () => 1)).toBe(30000);
    expect(backoffDelay(20, () => 0)).toBe(15000);
  });
});
