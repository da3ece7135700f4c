import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../../api/errors";
import type { BrokerAccount, Order } from "../../api/trades";

const executeOrder = vi.fn();
vi.mock("../../api/trades", async (orig) => ({
  ...(await orig<typeof import("../../api/trades")>()),
  executeOrder: (...args: unknown[]) => executeOrder(...args) as unknown,
}));

const { Ticket } = await import("./OrdersPage");

afterEach(() => {
  cleanup();
  executeOrder.mockReset();
});

const account = { id: 7, name: "Paper", broker: "paper" } as BrokerAccount;
const order = { id: 1, side: "BUY", symbol: "NIFTY", status: "filled" } as Order;

function renderTicket() {
  render(
    <MemoryRouter>
      <Ticket accounts={[account]} onPlaced={() => {}} />
    </MemoryRouter>,
  );
  fireEvent.change(screen.getByLabelText("Instrument"), { target: { value: "nifty" } });
  return screen.getByRole("form", { name: "Order ticket" });
}

const keyOf = (call: number) => executeOrder.mock.calls[call]?.[1] as string;

describe("the order ticket", () => {
  it("sends one Idempotency-Key for a double submission, and a new one for the next order", async () => {
    let answer: (o: Order) => void = () => {};
    executeOrder.mockImplementation(() => new Promise<Order>((r) => (answer = r)));
    const form = renderTicket();
    fireEvent.submit(form);
    fireEvent.submit(form);
    expect(executeOrder).toHaveBeenCalledTimes(2);
    expect(executeOrder.mock.calls[0]?.[0]).toMatchObject({ account: 7, instrument: "NIFTY" });
    expect(keyOf(1)).toBe(keyOf(0));
    answer(order);
    await screen.findByText(/Order #1 BUY NIFTY: filled/);
    fireEvent.submit(form);
    expect(keyOf(2)).not.toBe(keyOf(0));
  });

  it("keeps the key after a timeout or 5xx (maybe placed) and renews it after a refusal", async () => {
    executeOrder.mockRejectedValueOnce(new ApiError(503, { detail: "broker down" }));
    const form = renderTicket();
    fireEvent.submit(form);
    await screen.findByText("broker down");
    executeOrder.mockRejectedValueOnce(new ApiError(409, { detail: "halted", code: "halted" }));
    fireEvent.submit(form);
    await screen.findByText("halted");
    expect(keyOf(1)).toBe(keyOf(0));
    executeOrder.mockResolvedValueOnce(order);
    fireEvent.submit(form);
    await waitFor(() => expect(executeOrder).toHaveBeenCalledTimes(3));
    expect(keyOf(2)).not.toBe(keyOf(1));
  });
});

describe("the option leg picker", () => {
  function renderLeg() {
    render(
      <MemoryRouter>
        <Ticket accounts={[account]} onPlaced={() => {}} />
      </MemoryRouter>,
    );
    fireEvent.change(screen.getByLabelText("Trade"), { target: { value: "option_leg" } });
    return screen.getByRole("form", { name: "Order ticket" });
  }

  it("sends the leg instead of an instrument and shows the contract it resolved to", async () => {
    executeOrder.mockResolvedValueOnce({
      ...order,
      symbol: "NIFTY-Jan2024-21500-PE",
      option_leg: {
        spec: {},
        underlying: "NIFTY",
        spot: 21480.5,
        spot_at: "2024-01-02T04:00:00Z",
        expiry: "2024-01-04",
        strike: 21500,
        option_type: "PE",
        symbol: "NIFTY-Jan2024-21500-PE",
        instrument: 9,
      },
    });
    const form = renderLeg();
    expect(screen.queryByLabelText("Instrument")).toBeNull();
    fireEvent.change(screen.getByLabelText("Underlying"), { target: { value: "BANKNIFTY" } });
    fireEvent.change(screen.getByLabelText("Call or put"), { target: { value: "PE" } });
    fireEvent.change(screen.getByLabelText("Strike"), { target: { value: "OTM" } });
    fireEvent.change(screen.getByLabelText("Strikes OTM (n)"), { target: { value: "2" } });
    fireEvent.submit(form);
    const body = executeOrder.mock.calls[0]?.[0] as Record<string, unknown>;
    expect(body.instrument).toBeUndefined();
    expect(body.option_leg).toEqual({
      underlying: "BANKNIFTY",
      option_type: "PE",
      expiry: "current_week",
      strike: "OTM",
      offset: 2,
      atm_from: "spot",
    });
    expect(await screen.findByTestId("resolved-leg")).toHaveTextContent(
      "Resolved to NIFTY-Jan2024-21500-PE",
    );
  });

  it("asks a premium strike for the premium, and shows option_leg.<field> errors on the field", async () => {
    executeOrder.mockRejectedValueOnce(
      new ApiError(400, {
        detail: "option_leg.premium: must be at least 1e-06",
        code: "invalid",
        errors: [{ field: "option_leg.premium", message: "must be at least 1e-06" }],
      }),
    );
    const form = renderLeg();
    fireEvent.change(screen.getByLabelText("Strike"), { target: { value: "premium_closest" } });
    expect(screen.queryByLabelText(/Strikes/)).toBeNull();
    const premium = screen.getByLabelText("Premium (₹)");
    fireEvent.change(premium, { target: { value: "0" } });
    fireEvent.submit(form);
    expect((executeOrder.mock.calls[0]?.[0] as { option_leg: unknown }).option_leg).toMatchObject({
      strike: "premium_closest",
      premium: 0,
    });
    await waitFor(() => expect(premium).toHaveAttribute("aria-invalid", "true"));
    expect(premium.closest(".field")).toHaveTextContent("must be at least 1e-06");
  });

  it("sends a chosen expiry date as the expiry", () => {
    const form = renderLeg();
    fireEvent.change(screen.getByLabelText("Expiry"), { target: { value: "date" } });
    fireEvent.change(screen.getByLabelText("Expiry date"), { target: { value: "2024-01-25" } });
    executeOrder.mockResolvedValueOnce(order);
    fireEvent.submit(form);
    expect(
      (executeOrder.mock.calls[0]?.[0] as { option_leg: { expiry: string } }).option_leg.expiry,
    ).toBe("2024-01-25");
  });
});
