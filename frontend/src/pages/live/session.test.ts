import { describe, expect, it } from "vitest";
import type { Session, SessionEvent } from "../../api/live";
import { NEW_OPTIONS, hasOptionLegs } from "../../lib/options";
import { chartTime } from "../../lib/time";
import {
  NEW_SESSION,
  applyState,
  controlsFor,
  levelRows,
  orderMarkers,
  sessionRequest,
  signalText,
  type StateEvent,
} from "./session";

const session = {
  id: 5,
  status: "running",
  position: 0,
  last_bar: "2024-01-02T04:00:00Z",
  day_pnl: 0,
  indicators: {},
} as unknown as Session;

describe("controlsFor", () => {
  it("follows docs/live.md's transitions", () => {
    expect(controlsFor({ status: "draft", position: 0 })).toEqual(["start", "stop", "delete"]);
    expect(controlsFor({ status: "running", position: 0 })).toEqual(["pause", "stop"]);
    expect(controlsFor({ status: "running", position: 75 })).toEqual([
      "pause",
      "square-off",
      "stop",
    ]);
    expect(controlsFor({ status: "paused", position: -75 })).toEqual([
      "start",
      "square-off",
      "stop",
    ]);
    expect(controlsFor({ status: "halted", position: 75 })).toEqual(["stop", "delete"]);
    expect(controlsFor({ status: "stopped", position: 0 })).toEqual(["start", "delete"]);
  });
});

describe("sessionRequest", () => {
  it("leaves blank optional fields to the server and sends the replay and overrides", () => {
    const body = sessionRequest({
      ...NEW_SESSION,
      strategy: "3",
      account: "4",
      instrument: " nifty ",
      start: "2024-01-01",
      speed: "0",
      risk: { stop_loss: { value: 0.5, unit: "percent" } },
    });
    expect(body).toEqual({
      strategy: 3,
      account: 4,
      instrument: "NIFTY",
      lots: 1,
      capital: "500000",
      replay: { start: "2024-01-01", speed: 0 },
      risk_overrides: { stop_loss: { value: 0.5, unit: "percent" } },
    });
  });

  it("sends a version, a timeframe and an end when given", () => {
    const body = sessionRequest({
      ...NEW_SESSION,
      strategy: "3",
      account: "4",
      instrument: "42",
      version: "2",
      timeframe: "5m",
      start: "2024-01-01",
      end: "2024-01-03",
    });
    expect(body).toMatchObject({ instrument: 42, version: 2, timeframe: "5m" });
    expect(body.replay).toEqual({ start: "2024-01-01", end: "2024-01-03", speed: 60 });
    expect("risk_overrides" in body).toBe(false);
  });
});

describe("sessionRequest with option legs", () => {
  const fields = {
    ...NEW_SESSION,
    strategy: "3",
    account: "4",
    instrument: "NIFTY",
    lots: "2",
  };

  it("sends the options block and 1 lot for a strategy with legs", () => {
    const body = sessionRequest(fields, true);
    expect(body.lots).toBe(1);
    expect(body.options).toEqual({
      premium_source: "model",
      iv: 0.14,
      rate: 0.065,
      short_margin_pct: 15,
    });
    const real = sessionRequest(
      { ...fields, options: { ...NEW_OPTIONS, premiumSource: "real", rate: "" } },
      true,
    );
    expect(real.options).toEqual({ premium_source: "real", short_margin_pct: 15 });
    const series = sessionRequest(
      { ...fields, options: { ...NEW_OPTIONS, ivMode: "india_vix" } },
      true,
    );
    expect(series.options).toMatchObject({ premium_source: "model", iv_series: "india_vix" });
    expect(series.options).not.toHaveProperty("iv");
  });

  it("omits options (and keeps the lots) for a strategy without legs", () => {
    const body = sessionRequest(fields);
    expect(body).not.toHaveProperty("options");
    expect(body.lots).toBe(2);
  });
});

describe("hasOptionLegs", () => {
  it("finds an option_leg action node, as the engine's has_option_legs", () => {
    const leg = { id: "a", kind: "action", params: { type: "option_leg" } };
    const buy = { id: "b", kind: "action", params: { type: "buy" } };
    expect(hasOptionLegs({ nodes: [buy, leg] })).toBe(true);
    expect(hasOptionLegs({ nodes: [buy] })).toBe(false);
    expect(
      hasOptionLegs({ nodes: [{ id: "c", kind: "logic", params: { type: "option_leg" } }] }),
    ).toBe(false);
    expect(hasOptionLegs(null)).toBe(false);
    expect(hasOptionLegs({})).toBe(false);
  });
});

describe("applyState", () => {
  const ev: StateEvent = {
    session: 5,
    status: "running",
    bar: "2024-01-02T04:01:00Z",
    position: 75,
    average_price: 21500,
    pnl_today: -120.5,
    last_signal: { entry_long: true },
    indicators: { ema_20: 21490.1 },
    levels: { stop: 21400, target: null },
  };

  it("puts a step's state on the session", () => {
    expect(applyState(session, ev)).toMatchObject({
      last_bar: ev.bar,
      position: 75,
      day_pnl: -120.5,
      indicators: { ema_20: 21490.1 },
    });
  });

  it("keeps the status of the REST read (a step's event can arrive after a stop)", () => {
    const stopped = { ...session, status: "stopped" } as Session;
    expect(applyState(stopped, ev).status).toBe("stopped");
  });

  it("ignores another session's event and an older bar", () => {
    expect(applyState(session, { ...ev, session: 6 })).toBe(session);
    expect(applyState(session, { ...ev, bar: "2024-01-02T03:59:00Z" })).toBe(session);
  });
});

describe("panel text", () => {
  it("names the signals that fired", () => {
    expect(signalText(null)).toBe("no bar yet");
    expect(signalText({ entry_long: false, exit_long: false })).toBe("none");
    expect(signalText({ entry_long: true, exit_short: true })).toBe("entry long, exit short");
  });

  it("shows the levels with the stop's reason and a dash for a missing level", () => {
    expect(levelRows(null)).toEqual([]);
    expect(
      levelRows({ stop: 21400, stop_reason: "trailing", target: null, average: 21500 }),
    ).toEqual([
      ["Stop", "21400.00 (trailing)"],
      ["Target", "—"],
      ["Average", "21500.00"],
      ["Day loss limit", "—"],
    ]);
  });
});

describe("orderMarkers", () => {
  const ev = (id: number, bar_ts: string, data: object, kind = "order") =>
    ({ id, kind, bar_ts, data, message: "", at: bar_ts }) as unknown as SessionEvent;
  // Bar times as the chart has them (candleData): chartTime, in the display zone.
  const t0 = chartTime("2024-01-02T04:00:00Z");

  it("draws entries as arrows and exits as circles on the bar they came from", () => {
    const markers = orderMarkers(
      [
        ev(2, "2024-01-02T04:02:00Z", { intent: "exit", side: "SELL", reason: "stop" }),
        ev(1, "2024-01-02T04:00:00Z", { intent: "entry", side: "BUY" }),
        ev(3, "2024-01-02T04:01:00Z", { stop: 1 }, "signal"),
      ],
      [t0, t0 + 60, t0 + 120],
    );
    expect(markers.map((m) => [m.id, m.shape, m.text])).toEqual([
      ["o1", "arrowUp", "buy"],
      ["o2", "circle", "exit stop"],
    ]);
    expect(markers[1]!.time).toBe(t0 + 120);
  });

  it("leaves out orders before the chart's first bar", () => {
    expect(orderMarkers([ev(1, "2024-01-01T04:00:00Z", { intent: "entry" })], [t0])).toEqual([]);
  });
});
