/** The order ticket's logic, apart from React: the request a ticket's fields make, and the
 * Idempotency-Key of a submission. */
import type { ExecuteRequest, OrderType, Product, Side } from "../../api/trades";

export interface TicketFields {
  account: string;
  instrument: string;
  side: Side;
  lots: string;
  order_type: OrderType;
  price: string;
  trigger_price: string;
  product: Product;
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
};

export const needsPrice = (t: OrderType) => t === "LIMIT" || t === "STOP_LOSS";
export const needsTrigger = (t: OrderType) => t === "STOP_LOSS" || t === "STOP_LOSS_MARKET";

/** The body of POST /api/trades/execute. Fields are passed as typed so the server names what
 * is wrong (a blank lot count is sent as 0 and refused on `lots`, never silently made 1). */
export function ticketRequest(f: TicketFields): ExecuteRequest {
  const instrument = f.instrument.trim().toUpperCase();
  const body: ExecuteRequest = {
    account: Number(f.account),
    instrument: /^\d+$/.test(instrument) ? Number(instrument) : instrument,
    side: f.side,
    lots: Number(f.lots),
    order_type: f.order_type,
    product: f.product,
  };
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
