/** Positions: live over /ws/ (re-read on reconnect), square off one or all, halt/resume. */
import { useState } from "react";
import {
  haltAccount,
  listAccounts,
  listPositions,
  resumeAccount,
  squareOff,
  type BrokerAccount,
  type Position,
} from "../../api/trades";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { PageHeader } from "../../components/Layout";
import { Checkbox, ErrorBanner, Spinner } from "../../components/forms";
import { formatMoney, signClass } from "../../lib/format";
import { formatDateTime } from "../../lib/time";
import { useAsync } from "../../lib/useAsync";
import { useEvents, useReconnect } from "../../lib/useEvents";
import { TradesNav } from "./TradesNav";
import { rupees } from "./analytics";

type Pending =
  | { kind: "one"; position: Position }
  | { kind: "all" }
  | { kind: "halt" | "resume"; account: BrokerAccount }
  | null;

export default function PositionsPage() {
  const [closed, setClosed] = useState(false);
  const positions = useAsync(() => listPositions({ closed }), [closed]);
  const accounts = useAsync(() => listAccounts(), []);
  const [pending, setPending] = useState<Pending>(null);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");

  const refresh = () => {
    positions.reload();
    accounts.reload();
  };
  useEvents((ev) => {
    if (ev.type.startsWith("order.") || ev.type.startsWith("trades.")) refresh();
  });
  useReconnect(refresh);

  const confirm = async () => {
    const p = pending;
    setPending(null);
    if (!p) return;
    setError(null);
    setNote("");
    try {
      if (p.kind === "one") {
        const r = await squareOff({
          account: p.position.account,
          instrument: p.position.instrument,
          product: p.position.product,
        });
        setNote(`Square-off sent: ${r.orders.length} order(s).`);
      } else if (p.kind === "all") {
        const r = await squareOff({ all: true });
        setNote(`Square-off sent: ${r.orders.length} order(s).`);
      } else if (p.kind === "halt") {
        await haltAccount(p.account.id, "halted from positions");
      } else {
        await resumeAccount(p.account.id);
      }
    } catch (e) {
      setError(e);
    }
    refresh();
  };

  const rows = positions.data?.results ?? [];
  const open = rows.filter((p) => p.net_quantity !== 0);
  const names = new Map((accounts.data?.results ?? []).map((a) => [a.id, a.name]));
  return (
    <div className="stack">
      <PageHeader title="Positions">
        <button
          type="button"
          className="danger"
          disabled={open.length === 0}
          onClick={() => setPending({ kind: "all" })}
        >
          Square off all
        </button>
      </PageHeader>
      <TradesNav />
      <ErrorBanner error={positions.error ?? error} />
      {note && (
        <p className="banner banner-info" role="status">
          {note}
        </p>
      )}
      <section className="panel stack" aria-labelledby="positions-h">
        <h2 id="positions-h">Positions</h2>
        <Checkbox
          label="Show closed positions"
          checked={closed}
          onChange={(e) => setClosed(e.target.checked)}
        />
        {positions.data === undefined && !positions.error ? (
          <Spinner />
        ) : rows.length === 0 ? (
          <p className="muted">No open positions.</p>
        ) : (
          <div className="table-wrap">
            <table aria-label="Positions">
              <thead>
                <tr>
                  <th>Instrument</th>
                  <th className="num">Net qty</th>
                  <th>Actions</th>
                  <th>Account</th>
                  <th>Product</th>
                  <th className="num">Average (₹)</th>
                  <th className="num">Realised (₹)</th>
                  <th className="num">Charges (₹)</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((p) => (
                  <tr key={p.id}>
                    <td>{p.symbol}</td>
                    <td className={`num ${signClass(p.net_quantity)}`}>{p.net_quantity}</td>
                    <td>
                      {p.net_quantity !== 0 && (
                        <button
                          type="button"
                          className="danger"
                          onClick={() => setPending({ kind: "one", position: p })}
                        >
                          Square off
                        </button>
                      )}
                    </td>
                    <td>{names.get(p.account) ?? `#${p.account}`}</td>
                    <td>{p.product}</td>
                    <td className="num">{formatMoney(p.average_price)}</td>
                    <td className={`num ${signClass(p.realised_pnl)}`}>
                      {formatMoney(p.realised_pnl)}
                    </td>
                    <td className="num">{formatMoney(p.charges)}</td>
                    <td>{formatDateTime(p.updated_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="panel stack" aria-labelledby="accounts-h">
        <h2 id="accounts-h">Accounts</h2>
        <ul className="list">
          {(accounts.data?.results ?? []).map((a) => (
            <li key={a.id} className="row">
              <span>
                {a.name} <span className={`badge badge-${a.trading_state}`}>{a.trading_state}</span>
                {a.ledger && (
                  <span className="muted small">
                    {" "}
                    cash {rupees(Number(a.ledger.cash))}, realised{" "}
                    {rupees(Number(a.ledger.realised_pnl))}, unrealised{" "}
                    {a.ledger.unrealised_pnl === null
                      ? "—"
                      : rupees(Number(a.ledger.unrealised_pnl))}
                  </span>
                )}
              </span>
              {a.trading_state === "active" ? (
                <button type="button" onClick={() => setPending({ kind: "halt", account: a })}>
                  Halt {a.name}
                </button>
              ) : (
                <button type="button" onClick={() => setPending({ kind: "resume", account: a })}>
                  Resume {a.name}
                </button>
              )}
            </li>
          ))}
        </ul>
      </section>
      <ConfirmDialog
        open={pending !== null}
        title={pending ? confirmTitle(pending) : ""}
        message={pending ? confirmMessage(pending) : ""}
        confirmLabel={
          pending?.kind === "halt" ? "Halt" : pending?.kind === "resume" ? "Resume" : "Square off"
        }
        onConfirm={() => void confirm()}
        onCancel={() => setPending(null)}
      />
    </div>
  );
}

function confirmTitle(p: NonNullable<Pending>): string {
  if (p.kind === "one") return `Square off ${p.position.symbol}?`;
  if (p.kind === "all") return "Square off every open position?";
  return `${p.kind === "halt" ? "Halt" : "Resume"} ${p.account.name}?`;
}

function confirmMessage(p: NonNullable<Pending>): string {
  if (p.kind === "one")
    return `A market order closes ${Math.abs(p.position.net_quantity)} units (${p.position.product}).`;
  if (p.kind === "all") return "A market order closes each open position, in every account.";
  if (p.kind === "halt") return "Every order is refused and the broker's kill switch is engaged.";
  return "Orders are accepted again and the kill switch is released.";
}
