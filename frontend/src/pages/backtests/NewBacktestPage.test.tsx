import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";

const submitBacktest = vi.fn();
const graphs: Record<number, unknown> = {
  1: {
    settings: { timeframe: "5m" },
    nodes: [{ id: "b", kind: "action", params: { type: "buy" } }],
  },
  2: {
    settings: { timeframe: "5m" },
    nodes: [{ id: "ce", kind: "action", params: { type: "option_leg" } }],
  },
};
vi.mock("../../api/backtests", async (orig) => ({
  ...(await orig<typeof import("../../api/backtests")>()),
  submitBacktest: (...args: unknown[]) => submitBacktest(...args) as unknown,
}));
vi.mock("../../api/strategies", async (orig) => ({
  ...(await orig<typeof import("../../api/strategies")>()),
  listStrategies: () =>
    Promise.resolve({
      count: 2,
      results: [
        { id: 1, name: "ORB" },
        { id: 2, name: "SuperTrend options" },
      ],
    }),
  listVersions: () => Promise.resolve({ count: 0, results: [] }),
  getStrategy: (id: number) => Promise.resolve({ id, graph: graphs[id] }),
  getVersion: (id: number) => Promise.resolve({ number: 1, graph: graphs[id] }),
}));
const nifty = { id: 9, symbol: "NIFTY", name: "Nifty 50", kind: "index", exchange: "NSE" };
vi.mock("../../api/marketdata", async (orig) => ({
  ...(await orig<typeof import("../../api/marketdata")>()),
  searchInstruments: () => Promise.resolve({ count: 1, results: [nifty] }),
  getInstrument: () => Promise.resolve({ ...nifty, stored: [] }),
}));

const { default: NewBacktestPage } = await import("./NewBacktestPage");

afterEach(() => {
  cleanup();
  submitBacktest.mockReset();
});

async function renderForm(strategy: string) {
  render(
    <MemoryRouter>
      <NewBacktestPage />
    </MemoryRouter>,
  );
  await screen.findByRole("option", { name: "SuperTrend options" });
  fireEvent.change(screen.getByLabelText("Strategy"), { target: { value: strategy } });
  fireEvent.change(screen.getByLabelText("Instrument (symbol)"), { target: { value: "NIFTY" } });
  await screen.findByTestId("data-range");
  fireEvent.change(screen.getByLabelText("Start"), { target: { value: "2024-01-01" } });
  fireEvent.change(screen.getByLabelText("End"), { target: { value: "2024-01-31" } });
  return screen.getByRole("form", { name: "Backtest" });
}

describe("the backtest form", () => {
  it("sends options and no sizing for a strategy with option legs", async () => {
    submitBacktest.mockReturnValue(new Promise(() => {}));
    const form = await renderForm("2");
    await screen.findByRole("group", { name: "Option legs" });
    fireEvent.submit(form);
    const body = submitBacktest.mock.calls[0]?.[0] as Record<string, unknown>;
    expect(body).toMatchObject({
      strategy: 2,
      instrument: 9,
      fees: { model: "india_options" },
      options: { premium_source: "model", iv: 0.14 },
    });
    expect(body).not.toHaveProperty("sizing");
  });

  it("sends sizing and no options for a strategy without legs", async () => {
    submitBacktest.mockReturnValue(new Promise(() => {}));
    const form = await renderForm("1");
    await waitFor(() => expect(screen.queryByRole("group", { name: "Option legs" })).toBeNull());
    fireEvent.submit(form);
    const body = submitBacktest.mock.calls[0]?.[0] as Record<string, unknown>;
    expect(body).toMatchObject({ strategy: 1, sizing: { mode: "lots", value: 1 } });
    expect(body).not.toHaveProperty("options");
  });
});
