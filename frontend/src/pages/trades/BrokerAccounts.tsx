/** Settings → Broker accounts: list, connect (paper or Dhan), refresh, test the credentials,
 * halt/resume, delete. */
import { useState, type FormEvent } from "react";
import "./trades.css";
import {
  accountTest,
  connectAccount,
  deleteAccount,
  getAccount,
  haltAccount,
  updateAccount,
  listAccounts,
  resumeAccount,
  type BrokerAccount,
} from "../../api/trades";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { ErrorBanner, Select, Spinner, TextInput, fieldError } from "../../components/forms";
import { formatMoney } from "../../lib/format";
import { formatDateTime } from "../../lib/time";
import { useAsync } from "../../lib/useAsync";
import { useEvents, useReconnect } from "../../lib/useEvents";

type Pending = { kind: "halt" | "resume" | "delete"; account: BrokerAccount } | null;

export function BrokerAccounts() {
  const accounts = useAsync(() => listAccounts(), []);
  const [pending, setPending] = useState<Pending>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [busy, setBusy] = useState<number | null>(null);
  const [reconnecting, setReconnecting] = useState<number | null>(null);
  const [tested, setTested] = useState<{ id: number; text: string } | null>(null);
  useEvents(() => accounts.reload(), ["trades.halted", "trades.token_expired"]);
  useReconnect(accounts.reload);

  const run = async (id: number, action: () => Promise<unknown>) => {
    setBusy(id);
    setActionError(null);
    try {
      await action();
      accounts.reload();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(null);
    }
  };

  /** Ask the broker (funds) with the stored credentials; reload either way, since a refused
   * token turns the account token_expired. */
  const test = async (id: number) => {
    setBusy(id);
    setActionError(null);
    setTested(null);
    try {
      const a = await accountTest(id);
      setTested({ id, text: testedText(a) });
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(null);
      accounts.reload();
    }
  };

  const confirm = () => {
    if (!pending) return;
    const { kind, account } = pending;
    setPending(null);
    const action =
      kind === "halt"
        ? () => haltAccount(account.id, "halted from settings")
        : kind === "resume"
          ? () => resumeAccount(account.id)
          : () => deleteAccount(account.id);
    void run(account.id, action);
  };

  const rows = accounts.data?.results ?? [];
  return (
    <section className="panel stack" aria-labelledby="brokers-h">
      <h2 id="brokers-h">Broker accounts</h2>
      <ErrorBanner error={accounts.error ?? actionError} />
      {accounts.data === undefined && !accounts.error ? (
        <Spinner />
      ) : rows.length === 0 ? (
        <p className="muted">No broker account yet. Connect a paper account to practise.</p>
      ) : (
        <ul className="broker-accounts" aria-label="Broker accounts">
          {rows.map((a) => (
            <li key={a.id} className="broker-account">
              <div>
                <strong>{a.name}</strong> <span className="muted">({a.broker})</span>
                {a.broker_client_hint && (
                  <span className="muted"> …{a.broker_client_hint}</span>
                )}{" "}
                <span className={`badge badge-${a.status}`}>{a.status}</span>{" "}
                <span className={`badge badge-${a.trading_state}`}>{a.trading_state}</span>
              </div>
              {a.state_reason && <div className="muted small">{a.state_reason}</div>}
              <dl className="facts small">
                <dt>Funds</dt>
                <dd>₹{formatMoney(fundsOf(a))}</dd>
                <dt>Token expires</dt>
                <dd>
                  <TokenExpiry account={a} />
                </dd>
                <dt>Capabilities</dt>
                <dd>{capabilities(a)}</dd>
              </dl>
              <div className="row">
                <button
                  type="button"
                  disabled={busy === a.id}
                  onClick={() => void run(a.id, () => getAccount(a.id))}
                >
                  Reload
                </button>
                <button type="button" disabled={busy === a.id} onClick={() => void test(a.id)}>
                  {busy === a.id ? "Testing…" : "Test connection"}
                </button>
                {a.broker !== "paper" && (
                  <button
                    type="button"
                    aria-expanded={reconnecting === a.id}
                    onClick={() => setReconnecting(reconnecting === a.id ? null : a.id)}
                  >
                    Reconnect
                  </button>
                )}
                {a.trading_state === "active" ? (
                  <button type="button" onClick={() => setPending({ kind: "halt", account: a })}>
                    Halt
                  </button>
                ) : (
                  <button type="button" onClick={() => setPending({ kind: "resume", account: a })}>
                    Resume
                  </button>
                )}
                <button
                  type="button"
                  className="danger"
                  onClick={() => setPending({ kind: "delete", account: a })}
                >
                  Delete
                </button>
              </div>
              {tested?.id === a.id && (
                <p className="small" role="status">
                  {tested.text}
                </p>
              )}
              {reconnecting === a.id && (
                <Reconnect
                  account={a}
                  onDone={() => {
                    setReconnecting(null);
                    accounts.reload();
                  }}
                />
              )}
            </li>
          ))}
        </ul>
      )}
      <Connect onConnected={accounts.reload} />
      <ConfirmDialog
        open={pending !== null}
        title={pending ? `${title(pending.kind)} ${pending.account.name}?` : ""}
        message={pending ? message(pending.kind) : ""}
        confirmLabel={pending ? title(pending.kind) : ""}
        onConfirm={confirm}
        onCancel={() => setPending(null)}
      />
    </section>
  );
}

const TWO_HOURS = 2 * 60 * 60 * 1000;

/** The token's state: expired (refused, or past its expiry), expiring within 2 h, or fine. */
export function tokenState(
  a: Pick<BrokerAccount, "status" | "token_expires_at">,
  now = Date.now(),
): "expired" | "expiring" | "ok" | "none" {
  if (a.status === "token_expired") return "expired";
  if (!a.token_expires_at) return "none";
  const left = new Date(a.token_expires_at).getTime() - now;
  if (Number.isNaN(left)) return "none";
  if (left <= 0) return "expired";
  return left < TWO_HOURS ? "expiring" : "ok";
}

function TokenExpiry({ account }: { account: BrokerAccount }) {
  const state = tokenState(account);
  const when = account.token_expires_at ? formatDateTime(account.token_expires_at) : "—";
  if (state === "expired")
    return (
      <>
        <span className="badge badge-token_expired">expired</span>
        {account.token_expires_at && <span className="muted"> {when}</span>}
      </>
    );
  if (state === "expiring")
    return (
      <>
        {when} <span className="badge badge-reducing">expires in &lt; 2 h</span>
      </>
    );
  return <>{when}</>;
}

function testedText(a: BrokerAccount): string {
  const funds = fundsOf(a);
  const parts = [`Connection OK (${a.status})`];
  if (funds !== null) parts.push(`funds ₹${formatMoney(funds)}`);
  if (a.token_expires_at) {
    const state = tokenState(a);
    parts.push(
      state === "expired"
        ? `token expired ${formatDateTime(a.token_expires_at)}`
        : `token expires ${formatDateTime(a.token_expires_at)}` +
            (state === "expiring" ? " (in < 2 h)" : ""),
    );
  }
  return parts.join("; ") + ".";
}

function title(kind: "halt" | "resume" | "delete"): string {
  return kind === "halt" ? "Halt" : kind === "resume" ? "Resume" : "Delete";
}

function message(kind: "halt" | "resume" | "delete"): string {
  if (kind === "halt") return "Every order is refused and the broker's kill switch is engaged.";
  if (kind === "resume") return "Orders are accepted again and the kill switch is released.";
  return "The account and its stored credentials are removed.";
}

/** Paper: the ledger's cash; a real broker: its last funds snapshot's available balance. */
export function fundsOf(a: BrokerAccount): string | number | null {
  if (a.ledger) return a.ledger.cash;
  const f = a.funds as Record<string, unknown> | null;
  if (!f || typeof f !== "object") return null;
  for (const k of ["available", "availabelBalance", "availableBalance", "cash"]) {
    const v = f[k];
    if (typeof v === "number" || typeof v === "string") return v;
  }
  return null;
}

function capabilities(a: BrokerAccount): string {
  const on = Object.entries(a.capabilities ?? {})
    .filter(([, v]) => v === true)
    .map(([k]) => k.replace(/_/g, " "));
  return on.length ? on.join(", ") : "—";
}

function Connect({ onConnected }: { onConnected: () => void }) {
  const [broker, setBroker] = useState<"paper" | "dhan">("paper");
  const [name, setName] = useState("Paper");
  const [cash, setCash] = useState("1000000");
  const [clientId, setClientId] = useState("");
  const [token, setToken] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaving(true);
    setError(null);
    try {
      await connectAccount(
        broker === "paper"
          ? { broker, name, paper: { starting_cash: cash } }
          : { broker, name, credentials: { client_id: clientId, access_token: token } },
      );
      // The token is write-only: it leaves the page once sent.
      setToken("");
      onConnected();
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="stack narrow" onSubmit={(e) => void submit(e)} aria-label="Connect an account">
      <h3>Connect an account</h3>
      <Select
        label="Broker"
        value={broker}
        onChange={(e) => {
          const b = e.target.value === "dhan" ? "dhan" : "paper";
          setBroker(b);
          setName(b === "dhan" ? "Dhan" : "Paper");
        }}
        options={[
          { value: "paper", label: "Paper (simulated)" },
          { value: "dhan", label: "Dhan" },
        ]}
        error={fieldError(error, "broker")}
      />
      <TextInput
        label="Account name"
        value={name}
        required
        onChange={(e) => setName(e.target.value)}
        error={fieldError(error, "name")}
      />
      {broker === "paper" ? (
        <TextInput
          label="Starting balance (₹)"
          inputMode="decimal"
          value={cash}
          onChange={(e) => setCash(e.target.value)}
          error={fieldError(error, "paper") ?? fieldError(error, "paper.starting_cash")}
        />
      ) : (
        <>
          <TextInput
            label="Client id"
            value={clientId}
            autoComplete="off"
            onChange={(e) => setClientId(e.target.value)}
            error={fieldError(error, "credentials.client_id")}
          />
          <TextInput
            label="Access token"
            type="password"
            value={token}
            autoComplete="off"
            hint="Sent once and stored encrypted; never shown again."
            onChange={(e) => setToken(e.target.value)}
            error={
              fieldError(error, "credentials") ?? fieldError(error, "credentials.access_token")
            }
          />
        </>
      )}
      <ErrorBanner error={error} />
      <div className="row">
        <button type="submit" className="primary" disabled={saving}>
          {saving ? "Connecting…" : "Connect"}
        </button>
      </div>
    </form>
  );
}

/** New credentials for an account (an expired Dhan token): tested at the broker, then kept. */
function Reconnect({ account, onDone }: { account: BrokerAccount; onDone: () => void }) {
  const [clientId, setClientId] = useState("");
  const [token, setToken] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaving(true);
    setError(null);
    try {
      await updateAccount(account.id, {
        credentials: { client_id: clientId, access_token: token },
      });
      setToken("");
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form
      className="stack"
      onSubmit={(e) => void submit(e)}
      aria-label={`Reconnect ${account.name}`}
    >
      <TextInput
        label="Client id"
        value={clientId}
        autoComplete="off"
        required
        onChange={(e) => setClientId(e.target.value)}
        error={fieldError(error, "credentials.client_id")}
      />
      <TextInput
        label="New access token"
        type="password"
        value={token}
        autoComplete="off"
        required
        onChange={(e) => setToken(e.target.value)}
        error={fieldError(error, "credentials") ?? fieldError(error, "credentials.access_token")}
      />
      <ErrorBanner error={error} />
      <div className="row">
        <button type="submit" className="primary" disabled={saving}>
          {saving ? "Testing…" : "Test and save"}
        </button>
      </div>
    </form>
  );
}
