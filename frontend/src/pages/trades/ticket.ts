/** The order ticket's logic, apart from React: the request a ticket's fields make, and the
 * Idempotency-Key of a submission. */
import type { ExecuteRequest, OrderType, Product, Side } from "../../api/trades";
import type { components } from "../../api/schema";

export type OptionLeg = components["schemas"]["OptionLegShapeRequest"];
export type Underlying = components["schemas"]["UnderlyingEnum"];
export type StrikeMode = components["schemas"]["StrikeEnum"];

/** The option leg picker's fields (trades/services/legs.py takes an option_leg node's spec). */
export interface LegFields {
  underlying: Underlying;
  option_type: "CE" | "PE";
  /** current_week … next_month, or "date" for the date below. */
  expiry: string;
  expiry_date: string;
  strike: StrikeMode;
  /** ATM: strikes up (+) or down (−); ITM/OTM: strikes into / out of the money. */
  offset: string;
  /** premium_* strikes: the premium (₹); straddle_pct: the percent. */
  value: string;
  atm_from: "spot" | "futures";
}

export const UNDERLYINGS: Underlying[] = ["NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "SENSEX"];
export const EXPIRIES = [
  { value: "current_week", label: "Current week" },
  { value: "next_week", label: "Next week" },
  { value: "current_month", label: "Current month" },
  { value: "next_month", label: "Next month" },
  { value: "date", label: "On a date…" },
];
export const STRIKES: { value: StrikeMode; label: string }[] = [
  { value: "ATM", label: "ATM ± n strikes" },
  { value: "ITM", label: "ITM n strikes" },
  { value: "OTM", label: "OTM n strikes" },
  { value: "premium_closest", label: "Premium closest to" },
  { value: "premium_at_least", label: "Premium at least" },
  { value: "premium_at_most", label: "Premium at most" },
  { value: "straddle_pct", label: "% of the ATM straddle" },
];

export const NEW_LEG: LegFields = {
  underlying: "NIFTY",
  option_type: "CE",
  expiry: "current_week",
  expiry_date: "",
  strike: "ATM",
  offset: "0",
  value: "",
  atm_from: "spot",
};

/** Which number the strike mode takes: strikes away, a premium or a percent. */
export function strikeTakes(mode: StrikeMode): "offset" | "premium" | "percent" {
  if (mode === "ATM" || mode === "ITM" || mode === "OTM") return "offset";
  return mode === "straddle_pct" ? "percent" : "premium";
}

/** The option_leg of a request: only what the mode uses, numbers as typed (the server names
 * a bad one on option_leg.<field>). */
export function legRequest(f: LegFields): OptionLeg {
  const leg: OptionLeg = {
    underlying: f.underlying,
    option_type: f.option_type,
    expiry: f.expiry === "date" ? f.expiry_date : f.expiry,
    strike: f.strike,
    atm_from: f.atm_from,
  };
  const takes = strikeTakes(f.strike);
  if (takes === "offset") leg.offset = Number(f.offset || 0);
  else leg[takes] = Number(f.value);
  return leg;
}

export interface TicketFields {
  account: string;
  instrument: string;
  side: Side;
  lots: string;
  order_type: OrderType;
  price: string;
  trigger_price: string;
  product: Product;
  /** Trade the instrument, or an option contract resolved from the leg. */
  contract: "instrument" | "option_leg";
  leg: LegFields;
}

export const NEW_TICKET: TicketFields = {
  account: "",
  instrument: "",
  side: "BUY",
  lots: "1",
  order_type: "MARKET",
  price: "",
  trigger_price: "",
  product: "INTRADAY",
  contract: "instrument",
  leg: NEW_LEG,
};

export const needsPrice = (t: OrderType) => t === "LIMIT" || t === "STOP_LOSS";
export const needsTrigger = (t: OrderType) => t === "STOP_LOSS" || t === "STOP_LOSS_MARKET";

/** The body of POST /api/trades/execute. Fields are passed as typed so the server names what
 * is wrong (a blank lot count is sent as 0 and refused on `lots`, never silently made 1). */
export function ticketRequest(f: TicketFields): ExecuteRequest {
  const instrument = f.instrument.trim().toUpperCase();
  const body: ExecuteRequest = {
    account: Number(f.account),
    side: f.side,
    lots: Number(f.lots),
    order_type: f.order_type,
    product: f.product,
  };
  if (f.contract === "option_leg") body.option_leg = legRequest(f.leg);
  else body.instrument = /^\d+$/.test(instrument) ? Number(instrument) : instrument;
  if (needsPrice(f.order_type)) body.price = f.price.trim() || null;
  if (needsTrigger(f.order_type)) body.trigger_price = f.trigger_price.trim() || null;
  return body;
}

/**
 * One key per submission of a ticket: every send of the same request before it succeeds
 * (a double click, a retry after a timeout) carries the same key, so the server places the
 * order once and answers the first order again. A placed order, or a changed request, starts
 * a new key: the next order is a new order.
 */
export class SubmissionKey {
  private key: string | null = null;
  private body = "";

  constructor(private readonly make: () => string = () => crypto.randomUUID()) {}

  for(request: ExecuteRequest): string {
    const body = JSON.stringify(request);
    if (!this.key || body !== this.body) {
      this.key = this.make();
      this.body = body;
    }
    return this.key;
  }

  /** The order was placed (or definitively refused): the next submission is a new order. */
  done(): void {
    this.key = null;
    this.body = "";
  }
}

/** Statuses an order can still leave: cancel applies, live updates are awaited. */
export const WORKING = new Set(["new", "submitting", "unknown", "open", "partially_filled"]);

export function statusLabel(status: string): string {
  return status.replace(/_/g, " ");
}
