/** Live sessions: the list with status (live over /ws/, re-read on reconnect), the controls
 * with a confirmation, and the form that creates a paper session on a replay. */
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router-dom";
import {
  controlSession,
  createSession,
  deleteSession,
  listSessions,
  type Session,
  type SessionStatus,
} from "../../api/live";
import { ApiError } from "../../api/errors";
import { listAccounts, type BrokerAccount } from "../../api/trades";
import { getStrategy, getVersion, listStrategies, listVersions } from "../../api/strategies";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { DataTable } from "../../components/DataTable";
import { OptionsFields } from "../../components/OptionsFields";
import { PageHeader } from "../../components/Layout";
import { Pager } from "../../components/Pager";
import { ErrorBanner, Select, Spinner, TextInput, fieldError } from "../../components/forms";
import { RiskFields } from "../../editor/RiskForm";
import { formatMoney, signClass } from "../../lib/format";
import { hasOptionLegs } from "../../lib/options";
import { formatDate, formatDateTime } from "../../lib/time";
import { useAsync } from "../../lib/useAsync";
import { useEvents, useReconnect, useThrottled } from "../../lib/useEvents";
import { CONTROL_TEXT, NEW_SESSION, controlsFor, sessionRequest, type Control } from "./session";
import "../trades/trades.css";
import "./live.css";

const PAGE_SIZE = 50;
const STATUSES: SessionStatus[] = ["draft", "running", "paused", "halted", "stopped"];
export const LIVE_EVENTS = ["session.state", "live.session", "live.order", "live.guardrail"];

export default function LivePage() {
  const [page, setPage] = useState(1);
  const [status, setStatus] = useState("");
  const sessions = useAsync(
    () => listSessions({ page, ...(status ? { status: status as SessionStatus } : {}) }),
    [page, status],
  );
  const accounts = useAsync(() => listAccounts(), []);
  // A replay steps several times a second: the list is re-read at most once a second.
  const reload = useThrottled(sessions.reload, 1000);
  useEvents(reload, LIVE_EVENTS);
  useReconnect(sessions.reload);
  const rows = sessions.data?.results ?? [];

  return (
    <div className="stack">
      <PageHeader title="Live sessions" />
      <section className="panel stack" aria-labelledby="sessions-h">
        <h2 id="sessions-h">Sessions</h2>
        <Select
          label="Status filter"
          value={status}
          onChange={(e) => {
            setStatus(e.target.value);
            setPage(1);
          }}
          options={[
            { value: "", label: "Any status" },
            ...STATUSES.map((s) => ({ value: s, label: s })),
          ]}
        />
        <ErrorBanner error={sessions.error} />
        {sessions.data === undefined && !sessions.error ? (
          <Spinner />
        ) : (
          <DataTable
            label="Sessions"
            rows={rows}
            rowKey={(s) => s.id}
            rowProps={(s) => ({ "data-session": s.id })}
            empty={status ? "No sessions with this status." : "No sessions yet: create one below."}
            columns={[
              {
                header: "Session",
                cell: (s) => <Link to={`/live/${s.id}`}>{sessionName(s)}</Link>,
              },
              {
                header: "Status",
                cell: (s) => (
                  <>
                    <span className={`badge badge-${s.status}`}>{s.status}</span>
                    {s.status_reason && <div className="muted small">{s.status_reason}</div>}
                  </>
                ),
              },
              { header: "Instrument", cell: (s) => `${s.instrument} · ${s.timeframe}` },
              { header: "Position", num: true, cell: (s) => s.position },
              {
                header: "P&L today (₹)",
                num: true,
                cell: (s) => <span className={signClass(s.day_pnl)}>{formatMoney(s.day_pnl)}</span>,
              },
              { header: "Last bar", cell: (s) => (s.last_bar ? formatDateTime(s.last_bar) : "—") },
              {
                header: "Actions",
                cell: (s) => <SessionControls session={s} onDone={sessions.reload} />,
              },
            ]}
          />
        )}
        <Pager
          page={page}
          pages={Math.ceil((sessions.data?.count ?? 0) / PAGE_SIZE)}
          onPage={setPage}
          label="Session pages"
        />
      </section>
      <NewSession accounts={accounts.data?.results} />
    </div>
  );
}

export function sessionName(s: Session): string {
  return s.name || `#${s.id} ${s.instrument}`;
}

/** The buttons a session's status allows; each asks first. `onDone` runs after the call
 * (also when it failed: the list shows the state the server has). */
export function SessionControls({
  session,
  onDone,
  onDeleted,
}: {
  session: Session;
  onDone: () => void;
  onDeleted?: () => void;
}) {
  const [pending, setPending] = useState<Control | null>(null);
  const [error, setError] = useState<unknown>(null);
  const run = async () => {
    const action = pending;
    setPending(null);
    if (!action) return;
    setError(null);
    try {
      if (action === "delete") {
        await deleteSession(session.id);
        onDeleted?.();
      } else await controlSession(session.id, action);
    } catch (e) {
      setError(e);
    }
    onDone();
  };
  return (
    <div className="stack">
      <div className="row" role="group" aria-label={`Controls of ${sessionName(session)}`}>
        {controlsFor(session).map((c) => (
          <button
            key={c}
            type="button"
            className={CONTROL_TEXT[c].danger ? "danger" : undefined}
            onClick={() => setPending(c)}
          >
            {CONTROL_TEXT[c].label}
          </button>
        ))}
      </div>
      <ErrorBanner error={error} />
      <ConfirmDialog
        open={pending !== null}
        title={pending ? `${CONTROL_TEXT[pending].label} ${sessionName(session)}?` : ""}
        message={pending ? CONTROL_TEXT[pending].confirm : ""}
        confirmLabel={pending ? CONTROL_TEXT[pending].label : ""}
        onConfirm={() => void run()}
        onCancel={() => setPending(null)}
      />
    </div>
  );
}

export function NewSession({ accounts }: { accounts: BrokerAccount[] | undefined }) {
  const navigate = useNavigate();
  const [f, setF] = useState(NEW_SESSION);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const strategies = useAsync(() => listStrategies({ page_size: 200 }), []);
  const strategy = f.strategy || String(strategies.data?.results[0]?.id ?? "");
  const versions = useAsync(
    () => (strategy ? listVersions(Number(strategy)) : Promise.resolve(null)),
    [strategy],
  );
  // The chosen version's graph (the current one when none is chosen) says whether it has
  // option legs: then the session needs the `options` block and trades 1 lot.
  const graph = useAsync(
    () =>
      !strategy
        ? Promise.resolve(null)
        : f.version
          ? getVersion(Number(strategy), Number(f.version)).then((v) => v.graph)
          : getStrategy(Number(strategy)).then((s) => s.graph),
    [strategy, f.version],
  );
  const legs = hasOptionLegs(graph.data);
  const account = f.account || String(accounts?.[0]?.id ?? "");
  const set = <K extends keyof typeof f>(k: K, v: (typeof f)[K]) => setF((x) => ({ ...x, [k]: v }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const s = await createSession(sessionRequest({ ...f, strategy, account }, legs));
      navigate(`/live/${s.id}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const err = (field: string) => fieldError(error, field);

  return (
    <section className="panel stack" aria-labelledby="new-session-h">
      <h2 id="new-session-h">New session</h2>
      {accounts === undefined ? (
        <Spinner />
      ) : accounts.length === 0 ? (
        <p className="muted">
          Connect a paper broker account in <Link to="/settings">Settings</Link> to run a session.
        </p>
      ) : (
        <form className="stack" onSubmit={(e) => void submit(e)} aria-label="New session">
          <div className="live-form">
            <TextInput
              label="Name (optional)"
              value={f.name}
              onChange={(e) => set("name", e.target.value)}
              error={err("name")}
            />
            <Select
              label="Strategy"
              value={strategy}
              onChange={(e) => setF((x) => ({ ...x, strategy: e.target.value, version: "" }))}
              options={
                strategies.data?.results.length
                  ? strategies.data.results.map((s) => ({ value: String(s.id), label: s.name }))
                  : [{ value: "", label: "No strategies yet" }]
              }
              error={err("strategy")}
            />
            <Select
              label="Version"
              value={f.version}
              onChange={(e) => set("version", e.target.value)}
              options={[
                { value: "", label: "Current version" },
                ...(versions.data?.results ?? []).map((v) => ({
                  value: String(v.number),
                  label: `v${v.number} — ${formatDate(v.created_at)}`,
                })),
              ]}
              error={err("version")}
            />
            <Select
              label="Account"
              value={account}
              onChange={(e) => set("account", e.target.value)}
              options={accounts.map((a) => ({
                value: String(a.id),
                label: `${a.name} (${a.broker})`,
              }))}
              error={err("account")}
            />
            <TextInput
              label="Instrument"
              value={f.instrument}
              placeholder="NIFTY"
              required
              autoCapitalize="characters"
              onChange={(e) => set("instrument", e.target.value)}
              error={err("instrument")}
            />
            <TextInput
              label="Timeframe (optional)"
              value={f.timeframe}
              placeholder="the strategy's"
              onChange={(e) => set("timeframe", e.target.value)}
              error={err("timeframe")}
            />
            <TextInput
              label="Lots"
              type="number"
              min={1}
              value={legs ? "1" : f.lots}
              readOnly={legs}
              hint={legs ? "1: option legs size by their own lots." : undefined}
              onChange={(e) => set("lots", e.target.value)}
              error={err("lots")}
            />
            <TextInput
              label="Capital (₹)"
              inputMode="decimal"
              value={f.capital}
              onChange={(e) => set("capital", e.target.value)}
              error={err("capital")}
            />
          </div>
          <fieldset>
            <legend>Replay of stored bars</legend>
            <div className="live-form">
              <TextInput
                label="Replay from"
                type="date"
                required
                value={f.start}
                onChange={(e) => set("start", e.target.value)}
                error={err("replay.start") ?? err("replay")}
              />
              <TextInput
                label="Replay to (optional)"
                type="date"
                value={f.end}
                onChange={(e) => set("end", e.target.value)}
                error={err("replay.end")}
              />
              <TextInput
                label="Speed (× real time, 0 = fastest)"
                type="number"
                min={0}
                step="any"
                value={f.speed}
                onChange={(e) => set("speed", e.target.value)}
                error={err("replay.speed")}
              />
            </div>
          </fieldset>
          {legs && (
            <OptionsFields
              value={f.options}
              onChange={(options) => set("options", options)}
              error={error}
              className="live-form"
            />
          )}
          <details>
            <summary>Risk overrides (replace the strategy's for this session)</summary>
            <div className="live-form live-risk">
              <RiskFields risk={f.risk} onChange={(risk) => set("risk", risk)} />
            </div>
            {error !== null && <RiskErrors error={error} />}
          </details>
          <ErrorBanner error={error} />
          <div className="row">
            <button type="submit" className="primary" disabled={busy}>
              {busy ? "Creating…" : "Create session"}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

/** The server's messages on `risk_overrides.<key>`, beside the overrides. */
function RiskErrors({ error }: { error: unknown }) {
  const errs =
    error instanceof ApiError
      ? error.errors.filter((e) => e.field?.startsWith("risk_overrides"))
      : [];
  if (errs.length === 0) return null;
  return (
    <ul className="field-error" role="alert">
      {errs.map((e, i) => (
        <li key={i}>
          {e.field}: {e.message}
        </li>
      ))}
    </ul>
  );
}
