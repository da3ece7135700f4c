/** Orders: the ticket, the list (live over /ws/, re-read on reconnect), detail and cancel. */
import { useRef, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { ApiError } from "../../api/errors";
import {
  cancelOrder,
  executeOrder,
  getOrder,
  listAccounts,
  listOrders,
  type BrokerAccount,
  type ExecutedOrder,
  type Order,
  type OrderStatus,
  type OrderType,
  type Product,
  type Side,
} from "../../api/trades";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { PageHeader } from "../../components/Layout";
import { Pager } from "../../components/Pager";
import { ErrorBanner, Select, Spinner, TextInput, fieldError } from "../../components/forms";
import { formatMoney } from "../../lib/format";
import { formatDateTime } from "../../lib/time";
import { useAsync } from "../../lib/useAsync";
import { useEvents, useReconnect } from "../../lib/useEvents";
import { TradesNav } from "./TradesNav";
import { LegPicker, ResolvedLeg } from "./LegPicker";
import {
  NEW_TICKET,
  SubmissionKey,
  WORKING,
  needsPrice,
  needsTrigger,
  statusLabel,
  ticketRequest,
  type TicketFields,
} from "./ticket";

const PAGE_SIZE = 50;
const STATUSES: OrderStatus[] = [
  "new",
  "submitting",
  "unknown",
  "open",
  "partially_filled",
  "filled",
  "cancelled",
  "rejected",
  "expired",
];

export default function OrdersPage() {
  const [page, setPage] = useState(1);
  const [filter, setFilter] = useState<{ account: string; status: string }>({
    account: "",
    status: "",
  });
  const accounts = useAsync(() => listAccounts(), []);
  const orders = useAsync(
    () =>
      listOrders({
        page,
        ...(filter.account ? { account: Number(filter.account) } : {}),
        ...(filter.status ? { status: filter.status as OrderStatus } : {}),
      }),
    [page, filter.account, filter.status],
  );
  const refilter = (k: "account" | "status", v: string) => {
    setFilter((f) => ({ ...f, [k]: v }));
    setPage(1);
  };
  const [selected, setSelected] = useState<number | null>(null);
  const [cancelling, setCancelling] = useState<Order | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [detailTick, setDetailTick] = useState(0);

  const refresh = () => {
    orders.reload();
    setDetailTick((t) => t + 1);
  };
  useEvents((ev) => {
    if (ev.type.startsWith("order.")) refresh();
  });
  useReconnect(refresh);

  const cancel = async () => {
    const o = cancelling;
    setCancelling(null);
    if (!o) return;
    setActionError(null);
    try {
      await cancelOrder(o.id);
    } catch (e) {
      setActionError(e);
    }
    refresh();
  };

  const rows = orders.data?.results ?? [];
  return (
    <div className="stack">
      <PageHeader title="Orders" />
      <TradesNav />
      <Ticket accounts={accounts.data?.results ?? []} onPlaced={refresh} />
      <section className="panel stack" aria-labelledby="orders-h">
        <h2 id="orders-h">Orders</h2>
        <div className="row" role="group" aria-label="Filter orders">
          <Select
            label="Account filter"
            value={filter.account}
            onChange={(e) => refilter("account", e.target.value)}
            options={[
              { value: "", label: "All accounts" },
              ...(accounts.data?.results ?? []).map((a) => ({
                value: String(a.id),
                label: a.name,
              })),
            ]}
          />
          <Select
            label="Status filter"
            value={filter.status}
            onChange={(e) => refilter("status", e.target.value)}
            options={[
              { value: "", label: "Any status" },
              ...STATUSES.map((st) => ({ value: st, label: statusLabel(st) })),
            ]}
          />
        </div>
        <ErrorBanner error={orders.error ?? actionError} />
        {orders.data === undefined && !orders.error ? (
          <Spinner />
        ) : rows.length === 0 ? (
          <p className="muted">
            {filter.account || filter.status ? "No orders match these filters." : "No orders yet."}
          </p>
        ) : (
          <div className="table-wrap">
            <table aria-label="Orders">
              <thead>
                <tr>
                  <th>Instrument</th>
                  <th>Side</th>
                  <th className="num">Lots</th>
                  <th>Status</th>
                  <th>Type</th>
                  <th className="num">Filled</th>
                  <th className="num">Price (₹)</th>
                  <th>Time</th>
                  <th>Actions</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((o) => (
                  <tr key={o.id} data-order={o.id}>
                    <td>{o.symbol}</td>
                    <td>{o.side}</td>
                    <td className="num">{o.lots}</td>
                    <td>
                      <span className={`badge badge-${o.status}`}>{statusLabel(o.status)}</span>
                      {o.reason && <div className="muted small">{o.reason}</div>}
                    </td>
                    <td>
                      {o.order_type} · {o.product}
                    </td>
                    <td className="num">
                      {o.filled_quantity}/{o.quantity}
                    </td>
                    <td className="num">{formatMoney(o.executed_price ?? o.price)}</td>
                    <td>{formatDateTime(o.created_at)}</td>
                    <td>
                      <div className="row">
                        <button
                          type="button"
                          aria-expanded={selected === o.id}
                          onClick={() => setSelected(selected === o.id ? null : o.id)}
                        >
                          Details
                        </button>
                        {WORKING.has(o.status) && (
                          <button type="button" className="danger" onClick={() => setCancelling(o)}>
                            Cancel
                          </button>
                        )}
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager
          page={page}
          pages={Math.ceil((orders.data?.count ?? 0) / PAGE_SIZE)}
          onPage={setPage}
          label="Order pages"
        />
      </section>
      {selected !== null && (
        <OrderDetailPanel id={selected} tick={detailTick} onClose={() => setSelected(null)} />
      )}
      <ConfirmDialog
        open={cancelling !== null}
        title={cancelling ? `Cancel ${cancelling.side} ${cancelling.symbol}?` : ""}
        message="The broker is asked to cancel the order; a fill that already happened stays."
        confirmLabel="Cancel order"
        onConfirm={() => void cancel()}
        onCancel={() => setCancelling(null)}
      />
    </div>
  );
}

export function Ticket({
  accounts,
  onPlaced,
}: {
  accounts: BrokerAccount[];
  onPlaced: () => void;
}) {
  const [fields, setFields] = useState<TicketFields>(NEW_TICKET);
  const [error, setError] = useState<unknown>(null);
  const [placed, setPlaced] = useState<ExecutedOrder | null>(null);
  const [sending, setSending] = useState(false);
  const keys = useRef(new SubmissionKey());
  const set = <K extends keyof TicketFields>(k: K, v: TicketFields[K]) =>
    setFields((f) => ({ ...f, [k]: v }));
  const account = fields.account || (accounts[0] ? String(accounts[0].id) : "");

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body = ticketRequest({ ...fields, account });
    const key = keys.current.for(body);
    setSending(true);
    setError(null);
    try {
      const order = await executeOrder(body, key);
      keys.current.done();
      setPlaced(order);
      onPlaced();
    } catch (err) {
      // A refusal (4xx) placed nothing: the next try is a new order. A timeout or 5xx may
      // have placed it, so a retry keeps the key and the server answers the first order.
      if (err instanceof ApiError && err.status < 500) keys.current.done();
      setError(err);
    } finally {
      setSending(false);
    }
  };

  if (accounts.length === 0)
    return (
      <section className="panel">
        <h2>Order ticket</h2>
        <p className="muted">
          Connect a broker account in <Link to="/settings">Settings</Link> to place orders.
        </p>
      </section>
    );

  return (
    <section className="panel stack" aria-labelledby="ticket-h">
      <h2 id="ticket-h">Order ticket</h2>
      <form className="ticket" onSubmit={(e) => void submit(e)} aria-label="Order ticket">
        <Select
          label="Account"
          value={account}
          onChange={(e) => set("account", e.target.value)}
          options={accounts.map((a) => ({ value: String(a.id), label: `${a.name} (${a.broker})` }))}
          error={fieldError(error, "account")}
        />
        <Select
          label="Trade"
          value={fields.contract}
          onChange={(e) => set("contract", e.target.value as TicketFields["contract"])}
          options={[
            { value: "instrument", label: "An instrument" },
            { value: "option_leg", label: "An option contract" },
          ]}
        />
        {fields.contract === "instrument" ? (
          <TextInput
            label="Instrument"
            value={fields.instrument}
            placeholder="NIFTY"
            required
            autoCapitalize="characters"
            onChange={(e) => set("instrument", e.target.value)}
            error={fieldError(error, "instrument")}
          />
        ) : (
          <LegPicker leg={fields.leg} error={error} onChange={(leg) => set("leg", leg)} />
        )}
        <Select
          label="Side"
          value={fields.side}
          onChange={(e) => set("side", e.target.value as Side)}
          options={[
            { value: "BUY", label: "Buy" },
            { value: "SELL", label: "Sell" },
          ]}
          error={fieldError(error, "side")}
        />
        <TextInput
          label="Lots"
          type="number"
          min={1}
          step={1}
          value={fields.lots}
          onChange={(e) => set("lots", e.target.value)}
          error={fieldError(error, "lots")}
        />
        <Select
          label="Order type"
          value={fields.order_type}
          onChange={(e) => set("order_type", e.target.value as OrderType)}
          options={[
            { value: "MARKET", label: "Market" },
            { value: "LIMIT", label: "Limit" },
            { value: "STOP_LOSS", label: "Stop-loss limit" },
            { value: "STOP_LOSS_MARKET", label: "Stop-loss market" },
          ]}
          error={fieldError(error, "order_type")}
        />
        {needsPrice(fields.order_type) && (
          <TextInput
            label="Price (₹)"
            inputMode="decimal"
            value={fields.price}
            onChange={(e) => set("price", e.target.value)}
            error={fieldError(error, "price")}
          />
        )}
        {needsTrigger(fields.order_type) && (
          <TextInput
            label="Trigger (₹)"
            inputMode="decimal"
            value={fields.trigger_price}
            onChange={(e) => set("trigger_price", e.target.value)}
            error={fieldError(error, "trigger_price")}
          />
        )}
        <Select
          label="Product"
          value={fields.product}
          onChange={(e) => set("product", e.target.value as Product)}
          options={[
            { value: "INTRADAY", label: "Intraday" },
            { value: "CNC", label: "Delivery (CNC)" },
            { value: "MARGIN", label: "Margin" },
          ]}
          error={fieldError(error, "product")}
        />
        <div className="row">
          <button type="submit" className="primary" disabled={sending}>
            {sending ? "Placing…" : `Place ${fields.side === "BUY" ? "buy" : "sell"} order`}
          </button>
        </div>
      </form>
      <ErrorBanner error={error} />
      {placed && !error && (
        <p className="banner banner-info" role="status">
          Order #{placed.id} {placed.side} {placed.symbol}: {statusLabel(placed.status)}
          {placed.executed_price ? ` at ₹${formatMoney(placed.executed_price)}` : ""}
          {placed.reason ? ` — ${placed.reason}` : ""}
        </p>
      )}
      {placed?.option_leg && <ResolvedLeg leg={placed.option_leg} />}
    </section>
  );
}

function OrderDetailPanel({
  id,
  tick,
  onClose,
}: {
  id: number;
  tick: number;
  onClose: () => void;
}) {
  const detail = useAsync(() => getOrder(id), [id, tick]);
  const o = detail.data;
  return (
    <section className="panel stack" aria-labelledby="order-detail-h">
      <div className="page-header">
        <h2 id="order-detail-h">Order #{id}</h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <ErrorBanner error={detail.error} />
      {!o ? (
        <Spinner />
      ) : (
        <>
          <p className="small">
            Client id <code>{o.client_id}</code>
            {o.broker_order_id && (
              <>
                {" "}
                · broker id <code>{o.broker_order_id}</code>
              </>
            )}{" "}
            · source {o.source} · submitted {formatDateTime(o.submitted_at)}
          </p>
          <h3>Fills</h3>
          {o.fills.length === 0 ? (
            <p className="muted">No fills.</p>
          ) : (
            <div className="table-wrap">
              <table aria-label="Fills">
                <thead>
                  <tr>
                    <th>Time</th>
                    <th className="num">Quantity</th>
                    <th className="num">Price (₹)</th>
                    <th className="num">Charges (₹)</th>
                    <th className="num">Realised (₹)</th>
                  </tr>
                </thead>
                <tbody>
                  {o.fills.map((f) => (
                    <tr key={`${f.broker_order_id}-${f.trade_id}`}>
                      <td>{formatDateTime(f.ts)}</td>
                      <td className="num">{f.quantity}</td>
                      <td className="num">{formatMoney(f.price)}</td>
                      <td className="num">{formatMoney(f.charges)}</td>
                      <td className="num">{formatMoney(f.realised_pnl)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <h3>Audit</h3>
          <ol className="list small" aria-label="Audit trail">
            {o.audit.map((a, i) => (
              <li key={i}>
                {formatDateTime(a.at)} — <strong>{a.action}</strong> by {a.actor}
                {a.request_id && <span className="muted"> (request {a.request_id})</span>}
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
