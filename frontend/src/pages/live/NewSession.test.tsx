import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../../api/errors";
import type { BrokerAccount } from "../../api/trades";

const createSession = vi.fn();
const graphs: Record<number, unknown> = {
  1: { nodes: [{ id: "buy", kind: "action", params: { type: "buy" } }] },
  2: { nodes: [{ id: "ce", kind: "action", params: { type: "option_leg", option_type: "CE" } }] },
};
vi.mock("../../api/live", async (orig) => ({
  ...(await orig<typeof import("../../api/live")>()),
  createSession: (...args: unknown[]) => createSession(...args) as unknown,
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

const { NewSession } = await import("./LivePage");

afterEach(() => {
  cleanup();
  createSession.mockReset();
});

const account = { id: 7, name: "Paper", broker: "paper" } as BrokerAccount;

async function renderForm(strategy: string) {
  render(
    <MemoryRouter>
      <NewSession accounts={[account]} />
    </MemoryRouter>,
  );
  await screen.findByRole("option", { name: "SuperTrend options" });
  fireEvent.change(screen.getByLabelText("Strategy"), { target: { value: strategy } });
  fireEvent.change(screen.getByLabelText("Instrument"), { target: { value: "nifty" } });
  fireEvent.change(screen.getByLabelText("Replay from"), { target: { value: "2024-01-01" } });
  return screen.getByRole("form", { name: "New session" });
}

describe("the new session form", () => {
  it("asks how legs are priced, locks 1 lot and sends options for a strategy with legs", async () => {
    createSession.mockReturnValue(new Promise(() => {}));
    const form = await renderForm("2");
    await screen.findByRole("group", { name: "Option legs" });
    expect(screen.getByLabelText("Lots")).toHaveProperty("readOnly", true);
    fireEvent.change(screen.getByLabelText("IV (annualised, 0.14 = 14%)"), {
      target: { value: "0.13" },
    });
    fireEvent.submit(form);
    expect(createSession).toHaveBeenCalledTimes(1);
    expect(createSession.mock.calls[0]?.[0]).toMatchObject({
      strategy: 2,
      lots: 1,
      options: { premium_source: "model", iv: 0.13, rate: 0.065, short_margin_pct: 15 },
    });
  });

  it("shows the server's options.<field> message beside the field", async () => {
    createSession.mockRejectedValue(
      new ApiError(400, {
        detail: "options.iv: must be at most 5",
        code: "invalid",
        errors: [{ field: "options.iv", message: "must be at most 5" }],
      }),
    );
    const form = await renderForm("2");
    await screen.findByRole("group", { name: "Option legs" });
    fireEvent.submit(form);
    await waitFor(() =>
      expect(
        screen.getByLabelText("IV (annualised, 0.14 = 14%)").getAttribute("aria-invalid"),
      ).toBe("true"),
    );
    expect(screen.getAllByText("must be at most 5").length).toBeGreaterThan(0);
  });

  it("has no options fields and sends no options for a strategy without legs", async () => {
    createSession.mockReturnValue(new Promise(() => {}));
    const form = await renderForm("1");
    await waitFor(() => expect(screen.queryByRole("group", { name: "Option legs" })).toBeNull());
    fireEvent.change(screen.getByLabelText("Lots"), { target: { value: "2" } });
    fireEvent.submit(form);
    const body = createSession.mock.calls[0]?.[0] as Record<string, unknown>;
    expect(body).toMatchObject({ strategy: 1, lots: 2 });
    expect(body).not.toHaveProperty("options");
  });
});
