import { describe, expect, it } from "vitest";
import { NEW_TICKET, SubmissionKey, ticketRequest } from "./ticket";

const ticket = { ...NEW_TICKET, account: "3", instrument: " nifty ", lots: "2" };

describe("ticketRequest", () => {
  it("sends a market order without price or trigger", () => {
    expect(ticketRequest(ticket)).toEqual({
      account: 3,
      instrument: "NIFTY",
      side: "BUY",
      lots: 2,
      order_type: "MARKET",
      product: "INTRADAY",
    });
  });

  it("sends the price of a limit and both of a stop-limit; blank is null for the server", () => {
    expect(ticketRequest({ ...ticket, order_type: "LIMIT", price: "101.5" }).price).toBe("101.5");
    const sl = ticketRequest({
      ...ticket,
      order_type: "STOP_LOSS",
      price: "",
      trigger_price: "99",
    });
    expect(sl.price).toBeNull();
    expect(sl.trigger_price).toBe("99");
    expect("price" in ticketRequest({ ...ticket, order_type: "STOP_LOSS_MARKET" })).toBe(false);
  });

  it("reads a numeric instrument as an id", () => {
    expect(ticketRequest({ ...ticket, instrument: "42" }).instrument).toBe(42);
  });
});

describe("SubmissionKey", () => {
  const counter = () => {
    let n = 0;
    return () => `k${++n}`;
  };

  it("keeps one key for repeated sends of the same request until it is placed", () => {
    const keys = new SubmissionKey(counter());
    const body = ticketRequest(ticket);
    expect(keys.for(body)).toBe("k1");
    expect(keys.for({ ...body })).toBe("k1");
    keys.done();
    expect(keys.for(body)).toBe("k2");
  });

  it("starts a new key when the request changes", () => {
    const keys = new SubmissionKey(counter());
    expect(keys.for(ticketRequest(ticket))).toBe("k1");
    expect(keys.for(ticketRequest({ ...ticket, lots: "3" }))).toBe("k2");
  });

  it("makes random keys by default", () => {
    const a = new SubmissionKey().for(ticketRequest(ticket));
    const b = new SubmissionKey().for(ticketRequest(ticket));
    expect(a).not.toBe(b);
  });
});
