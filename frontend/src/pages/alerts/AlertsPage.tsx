/** Alerts: rules (events and market conditions), delivery history, a test alert, phone
 * verification and which channels each event uses. */
import { useState, type FormEvent } from "react";
import {
  CHANNELS,
  EVENT_TYPES,
  createRule,
  deleteRule,
  getPreferences,
  listDeliveries,
  listRules,
  sendTestAlert,
  updatePreferences,
  updateRule,
  verifyPhone,
  type Channel,
  type Rule,
  type RuleInput,
} from "../../api/notifications";
import { PageHeader } from "../../components/Layout";
import { DataTable } from "../../components/DataTable";
import {
  Checkbox,
  ErrorBanner,
  Select,
  Spinner,
  TextInput,
  fieldError,
} from "../../components/forms";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { StatusBadge } from "../../components/StatusBadge";
import { useAsync } from "../../lib/useAsync";
import { useEvents, useReconnect } from "../../lib/useEvents";
import { formatDateTime } from "../../lib/time";
import { conditionGraph, simpleOf, type SimpleCondition } from "./conditions";

const CHANNEL_LABEL: Record<Channel, string> = {
  push: "In-app",
  email: "Email",
  sms: "SMS",
  webhook: "Webhook",
};

export default function AlertsPage() {
  const rules = useAsync(() => listRules(), []);
  const history = useAsync(() => listDeliveries({ page_size: 30 }), []);
  const [editing, setEditing] = useState<Rule | "new" | null>(null);
  const [doomed, setDoomed] = useState<Rule | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = () => {
    rules.reload();
    history.reload();
  };
  useReconnect(reload);
  useEvents(() => history.reload(), ["notification"]);

  const remove = async (r: Rule) => {
    setDoomed(null);
    try {
      await deleteRule(r.id);
      rules.reload();
    } catch (err) {
      setError(err);
    }
  };
  const toggle = async (r: Rule) => {
    try {
      await updateRule(r.id, { is_active: !r.is_active });
      rules.reload();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div className="stack">
      <PageHeader title="Alerts">
        <button type="button" className="primary" onClick={() => setEditing("new")}>
          New rule
        </button>
      </PageHeader>
      <ErrorBanner error={error ?? rules.error} />
      {editing && (
        <RuleForm
          rule={editing === "new" ? null : editing}
          onDone={() => {
            setEditing(null);
            rules.reload();
          }}
          onCancel={() => setEditing(null)}
        />
      )}
      <section className="panel" aria-labelledby="rules-h">
        <h2 id="rules-h">Rules</h2>
        {!rules.data ? (
          <Spinner />
        ) : (
          <DataTable
            label="Alert rules"
            rows={rules.data.results}
            rowKey={(r) => r.id}
            empty="No rules yet. Without rules, each event uses the channels set below."
            columns={[
              { header: "Name", cell: (r) => r.name },
              {
                header: "When",
                cell: (r) =>
                  r.kind === "event"
                    ? (EVENT_TYPES.find((e) => e.value === r.event_type)?.label ?? r.event_type)
                    : `${r.instrument} ${r.timeframe} condition`,
              },
              {
                header: "Channels",
                cell: (r) => (r.channels as Channel[]).map((c) => CHANNEL_LABEL[c] ?? c).join(", "),
              },
              {
                header: "State",
                cell: (r) => (
                  <>
                    {r.is_active ? "active" : "paused"}
                    {!r.can_fire && r.why && <div className="small muted">{r.why}</div>}
                    {r.last_error && <div className="small neg">{r.last_error}</div>}
                  </>
                ),
              },
              { header: "Last fired", cell: (r) => formatDateTime(r.last_fired_at) },
              {
                header: "Actions",
                cell: (r) => (
                  <div className="row">
                    <button type="button" className="link" onClick={() => setEditing(r)}>
                      Edit
                    </button>
                    <button type="button" className="link" onClick={() => void toggle(r)}>
                      {r.is_active ? "Pause" : "Resume"}
                    </button>
                    <button type="button" className="link danger-text" onClick={() => setDoomed(r)}>
                      Delete
                    </button>
                  </div>
                ),
              },
            ]}
          />
        )}
      </section>
      <div className="grid">
        <TestAlert onSent={history.reload} />
        <Phone />
      </div>
      <ChannelPreferences />
      <section className="panel" aria-labelledby="history-h">
        <h2 id="history-h">Delivery history</h2>
        <ErrorBanner error={history.error} />
        {!history.data ? (
          <Spinner />
        ) : (
          <DataTable
            label="Delivery history"
            rows={history.data.results}
            rowKey={(d) => d.id}
            empty="Nothing sent yet."
            columns={[
              { header: "Time", cell: (d) => formatDateTime(d.created_at) },
              { header: "Channel", cell: (d) => CHANNEL_LABEL[d.channel] },
              {
                header: "Subject",
                cell: (d) => <span title={d.body}>{d.subject || d.event_type}</span>,
              },
              {
                header: "Status",
                cell: (d) => (
                  <>
                    <StatusBadge status={d.status} />
                    {d.reason && <div className="small muted">{d.reason}</div>}
                  </>
                ),
              },
              { header: "Destination", cell: (d) => d.destination || "—" },
              { header: "Attempts", num: true, cell: (d) => d.attempts },
            ]}
          />
        )}
      </section>
      <ConfirmDialog
        open={doomed !== null}
        title="Delete this rule?"
        message={`“${doomed?.name ?? ""}” will stop alerting. Its past deliveries stay in the history.`}
        onCancel={() => setDoomed(null)}
        onConfirm={() => doomed && void remove(doomed)}
      />
    </div>
  );
}

function ChannelBoxes({
  value,
  onChange,
  legend,
}: {
  value: Channel[];
  onChange: (v: Channel[]) => void;
  legend: string;
}) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      <div className="row">
        {CHANNELS.map((c) => (
          <Checkbox
            key={c}
            label={CHANNEL_LABEL[c]}
            checked={value.includes(c)}
            onChange={(e) =>
              onChange(e.target.checked ? [...value, c] : value.filter((x) => x !== c))
            }
          />
        ))}
      </div>
    </fieldset>
  );
}

function RuleForm({
  rule,
  onDone,
  onCancel,
}: {
  rule: Rule | null;
  onDone: () => void;
  onCancel: () => void;
}) {
  const simple = rule?.kind === "market" ? simpleOf(rule.condition) : null;
  const [form, setForm] = useState({
    name: rule?.name ?? "",
    kind: rule?.kind ?? "event",
    event_type: (rule?.event_type || "backtest.finished") as string,
    instrument: rule?.instrument ?? "NIFTY",
    channels: (rule?.channels as Channel[] | undefined) ?? (["push"] as Channel[]),
    cooldown_seconds: String(rule?.cooldown_seconds ?? 0),
    active_from: rule?.active_from ?? "",
    active_to: rule?.active_to ?? "",
    is_active: rule?.is_active ?? true,
    webhook_url: (rule?.webhook_url as string | undefined) ?? "",
    message: rule?.message ?? "",
  });
  const [cond, setCond] = useState<SimpleCondition>(
    simple ?? { timeframe: "5m", op: "crosses_above", indicator: "EMA", period: 20, value: 0 },
  );
  const [advanced, setAdvanced] = useState(
    rule?.kind === "market" && !simple ? JSON.stringify(rule.condition, null, 2) : "",
  );
  const [error, setError] = useState<unknown>(null);
  const [secret, setSecret] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    let condition: unknown = null;
    if (form.kind === "market") {
      try {
        condition = advanced.trim() ? JSON.parse(advanced) : conditionGraph(cond);
      } catch {
        return setError(new Error("The condition JSON does not parse."));
      }
    }
    const body: RuleInput = {
      name: form.name,
      kind: form.kind as RuleInput["kind"],
      event_type: form.kind === "event" ? (form.event_type as RuleInput["event_type"]) : "",
      instrument: form.kind === "market" ? form.instrument : "",
      condition,
      channels: form.channels,
      cooldown_seconds: Number(form.cooldown_seconds),
      active_from: form.active_from || null,
      active_to: form.active_to || null,
      is_active: form.is_active,
      webhook_url: form.webhook_url,
      message: form.message,
    } as RuleInput;
    try {
      const saved = rule
        ? await updateRule(rule.id, { ...body, kind: undefined })
        : await createRule(body);
      if (saved.webhook_secret) setSecret(saved.webhook_secret);
      else onDone();
    } catch (err) {
      setError(err);
    }
  };

  if (secret)
    return (
      <section className="panel" role="status">
        <h2>Webhook secret</h2>
        <p>
          Shown once: keep it to verify the signature of this rule’s webhooks. <code>{secret}</code>
        </p>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </section>
    );

  return (
    <section className="panel" aria-labelledby="rule-form-h">
      <h2 id="rule-form-h">{rule ? `Edit “${rule.name}”` : "New alert rule"}</h2>
      <form className="stack" onSubmit={submit} aria-label="Alert rule">
        <ErrorBanner error={error} />
        <div className="grid">
          <TextInput
            label="Rule name"
            required
            value={form.name}
            onChange={(e) => setForm({ ...form, name: e.target.value })}
            error={fieldError(error, "name")}
          />
          <Select
            label="Alert on"
            value={form.kind}
            disabled={!!rule}
            options={[
              { value: "event", label: "An event (backtests, orders…)" },
              { value: "market", label: "A market condition" },
            ]}
            onChange={(e) => setForm({ ...form, kind: e.target.value as typeof form.kind })}
            error={fieldError(error, "kind")}
          />
        </div>
        {form.kind === "event" ? (
          <Select
            label="Event"
            value={form.event_type}
            options={EVENT_TYPES}
            onChange={(e) => setForm({ ...form, event_type: e.target.value })}
            error={fieldError(error, "event_type")}
          />
        ) : (
          <fieldset>
            <legend>Condition</legend>
            <div className="grid">
              <TextInput
                label="Instrument"
                value={form.instrument}
                onChange={(e) => setForm({ ...form, instrument: e.target.value })}
                error={fieldError(error, "instrument")}
              />
              <Select
                label="Timeframe"
                value={cond.timeframe}
                options={["1m", "3m", "5m", "15m", "30m", "1h", "1d"].map((t) => ({
                  value: t,
                  label: t,
                }))}
                onChange={(e) => setCond({ ...cond, timeframe: e.target.value })}
              />
              <Select
                label="Close…"
                value={cond.op}
                options={[
                  { value: "crosses_above", label: "crosses above" },
                  { value: "crosses_below", label: "crosses below" },
                  { value: ">", label: "is above" },
                  { value: "<", label: "is below" },
                ]}
                onChange={(e) => setCond({ ...cond, op: e.target.value as SimpleCondition["op"] })}
              />
              <Select
                label="…this line"
                value={cond.indicator}
                options={[
                  { value: "EMA", label: "EMA" },
                  { value: "SMA", label: "SMA" },
                  { value: "value", label: "a fixed level" },
                ]}
                onChange={(e) =>
                  setCond({ ...cond, indicator: e.target.value as SimpleCondition["indicator"] })
                }
              />
              {cond.indicator === "value" ? (
                <TextInput
                  label="Level"
                  type="number"
                  step="any"
                  value={String(cond.value)}
                  onChange={(e) => setCond({ ...cond, value: Number(e.target.value) })}
                />
              ) : (
                <TextInput
                  label="Period"
                  type="number"
                  min={1}
                  value={String(cond.period)}
                  onChange={(e) => setCond({ ...cond, period: Number(e.target.value) })}
                />
              )}
            </div>
            <details>
              <summary>Advanced: the condition as a strategy graph (JSON)</summary>
              <textarea
                aria-label="Condition JSON"
                rows={8}
                value={advanced}
                placeholder={JSON.stringify(conditionGraph(cond))}
                onChange={(e) => setAdvanced(e.target.value)}
              />
            </details>
            {fieldError(error, "condition") && (
              <p className="field-error">{fieldError(error, "condition")}</p>
            )}
          </fieldset>
        )}
        <ChannelBoxes
          legend="Send to"
          value={form.channels}
          onChange={(channels) => setForm({ ...form, channels })}
        />
        {fieldError(error, "channels") && (
          <p className="field-error">{fieldError(error, "channels")}</p>
        )}
        <div className="grid">
          <TextInput
            label="Cooldown (seconds)"
            type="number"
            min={0}
            max={604800}
            value={form.cooldown_seconds}
            onChange={(e) => setForm({ ...form, cooldown_seconds: e.target.value })}
            error={fieldError(error, "cooldown_seconds")}
          />
          <TextInput
            label="Active from (IST)"
            type="time"
            value={form.active_from}
            onChange={(e) => setForm({ ...form, active_from: e.target.value })}
            error={fieldError(error, "active_from")}
          />
          <TextInput
            label="Active to (IST)"
            type="time"
            value={form.active_to}
            onChange={(e) => setForm({ ...form, active_to: e.target.value })}
            error={fieldError(error, "active_to")}
          />
          <TextInput
            label="Webhook URL (optional)"
            type="url"
            value={form.webhook_url}
            onChange={(e) => setForm({ ...form, webhook_url: e.target.value })}
            error={fieldError(error, "webhook_url")}
          />
        </div>
        <TextInput
          label="Message (optional)"
          value={form.message}
          onChange={(e) => setForm({ ...form, message: e.target.value })}
          error={fieldError(error, "message")}
        />
        <Checkbox
          label="Active"
          checked={form.is_active}
          onChange={(e) => setForm({ ...form, is_active: e.target.checked })}
        />
        <div className="row">
          <button type="submit" className="primary">
            {rule ? "Save rule" : "Create rule"}
          </button>
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}

function TestAlert({ onSent }: { onSent: () => void }) {
  const [channels, setChannels] = useState<Channel[]>(["push"]);
  const [message, setMessage] = useState("Test alert from Algobacktester");
  const [result, setResult] = useState<string>("");
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setResult("");
    try {
      const sent = await sendTestAlert(channels, message);
      setResult(
        sent.deliveries
          .map((d) => `${CHANNEL_LABEL[d.channel]}: ${d.status}${d.reason ? ` (${d.reason})` : ""}`)
          .join("; "),
      );
      onSent();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section className="panel" aria-labelledby="test-h">
      <h2 id="test-h">Test alert</h2>
      <form className="stack" onSubmit={submit} aria-label="Test alert">
        <ErrorBanner error={error} />
        <TextInput
          label="Message"
          required
          value={message}
          onChange={(e) => setMessage(e.target.value)}
          error={fieldError(error, "message")}
        />
        <ChannelBoxes legend="Channels" value={channels} onChange={setChannels} />
        <div className="row">
          <button type="submit">Send test alert</button>
        </div>
        {result && <p role="status">Sent — {result}</p>}
      </form>
    </section>
  );
}

function Phone() {
  const prefs = useAsync(() => getPreferences(), []);
  const [phone, setPhone] = useState("");
  const [code, setCode] = useState("");
  const [sent, setSent] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const current = prefs.data;
  const send = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const r = await verifyPhone(phone || current?.phone || "");
      if ("expires_at" in r)
        setSent(`Code sent to ${r.phone}; it expires at ${formatDateTime(r.expires_at)}.`);
    } catch (err) {
      setError(err);
    }
  };
  const confirm = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await verifyPhone(phone || current?.phone || "", code);
      setSent(null);
      setCode("");
      prefs.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section className="panel" aria-labelledby="phone-h">
      <h2 id="phone-h">Phone for SMS</h2>
      {current && (
        <p>
          {current.phone ? (
            <>
              {current.phone} —{" "}
              {current.phone_verified ? <strong className="pos">verified</strong> : "not verified"}
            </>
          ) : (
            "No phone yet."
          )}
        </p>
      )}
      <ErrorBanner error={error} />
      <form className="stack" onSubmit={send} aria-label="Send a verification code">
        <TextInput
          label="Phone number"
          type="tel"
          placeholder="+919812345678"
          value={phone}
          onChange={(e) => setPhone(e.target.value)}
          error={fieldError(error, "phone")}
        />
        <div className="row">
          <button type="submit">Text me a code</button>
        </div>
      </form>
      {sent && (
        <form className="stack" onSubmit={confirm} aria-label="Confirm the code">
          <p role="status">{sent}</p>
          <TextInput
            label="6-digit code"
            inputMode="numeric"
            autoComplete="one-time-code"
            value={code}
            onChange={(e) => setCode(e.target.value)}
            error={fieldError(error, "code")}
          />
          <div className="row">
            <button type="submit" className="primary">
              Verify
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

function ChannelPreferences() {
  const prefs = useAsync(() => getPreferences(), []);
  const [draft, setDraft] = useState<Record<string, Channel[]> | null>(null);
  const [email, setEmail] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  if (!prefs.data) return <Spinner />;
  const channels = draft ?? (prefs.data.event_channels as Record<string, Channel[]>);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setSaved(false);
    try {
      await updatePreferences({ event_channels: channels, ...(email !== null ? { email } : {}) });
      setSaved(true);
      prefs.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section className="panel" aria-labelledby="prefs-h">
      <h2 id="prefs-h">Channels per event</h2>
      <form className="stack" onSubmit={save} aria-label="Channel preferences">
        <ErrorBanner error={error} />
        <div className="table-wrap">
          <table aria-label="Channels per event">
            <thead>
              <tr>
                <th>Event</th>
                {CHANNELS.map((c) => (
                  <th key={c}>{CHANNEL_LABEL[c]}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {EVENT_TYPES.map((ev) => (
                <tr key={ev.value}>
                  <th scope="row">{ev.label}</th>
                  {CHANNELS.map((c) => {
                    const on = (channels[ev.value] ?? []).includes(c);
                    return (
                      <td key={c}>
                        <input
                          type="checkbox"
                          aria-label={`${ev.label} by ${CHANNEL_LABEL[c]}`}
                          checked={on}
                          onChange={() =>
                            setDraft({
                              ...channels,
                              [ev.value]: on
                                ? (channels[ev.value] ?? []).filter((x) => x !== c)
                                : [...(channels[ev.value] ?? []), c],
                            })
                          }
                        />
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <TextInput
          label="Alert email"
          type="email"
          value={email ?? String(prefs.data.email ?? "")}
          placeholder={prefs.data.account_email}
          onChange={(e) => setEmail(e.target.value)}
          hint="Blank: your account email."
          error={fieldError(error, "email")}
        />
        <p className="muted small">
          Today:{" "}
          {Object.entries(prefs.data.quota ?? {})
            .map(([k, q]) => `${k} ${q.used}/${q.limit}`)
            .join(", ") || "no quota used"}
          .
        </p>
        <div className="row">
          <button type="submit">Save channels</button>
          {saved && <span role="status">Saved.</span>}
        </div>
      </form>
    </section>
  );
}
