import { afterEach, describe, expect, it } from "vitest";
import { chartTime, formatDate, formatDateTime, setDisplayZone, zonedParts } from "./time";

afterEach(() => setDisplayZone(null));

describe("times in the user's zone", () => {
  it("shows an instant in IST by default", () => {
    expect(formatDateTime("2026-01-05T03:45:00Z")).toBe("05 Jan 2026, 09:15");
  });

  it("follows the user's timezone setting", () => {
    setDisplayZone("Europe/London");
    expect(formatDateTime("2026-01-05T03:45:00Z")).toBe("05 Jan 2026, 03:45");
  });

  it("shows a plain date as written, whatever the zone", () => {
    setDisplayZone("America/New_York");
    expect(formatDate("2026-01-05")).toBe("05 Jan 2026");
  });

  it("groups by the local day, weekday and hour", () => {
    // 23:30 UTC on Sunday is 05:00 IST on Monday
    expect(zonedParts("2026-01-04T23:30:00Z")).toEqual({ date: "2026-01-05", weekday: 1, hour: 5 });
  });

  it("shifts chart times so the axis reads the wall clock", () => {
    expect(chartTime("2026-01-05T03:45:00Z")).toBe(Date.UTC(2026, 0, 5, 9, 15) / 1000);
  });

  it("says so when there is no time", () => {
    expect(formatDateTime(null)).toBe("—");
  });
});
