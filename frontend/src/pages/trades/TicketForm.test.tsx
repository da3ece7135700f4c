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
