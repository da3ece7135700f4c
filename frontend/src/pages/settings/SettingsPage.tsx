/** Settings: profile and timezone, password, sessions, and broker accounts. */
import { useMemo, useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { changePassword, endSession, listSessions, updateProfile } from "../../api/account";
import { forgetSession, signOut, updateUser } from "../../api/auth";
import { PageHeader } from "../../components/Layout";
import { DataTable } from "../../components/DataTable";
import { ErrorBanner, Select, Spinner, TextInput, fieldError } from "../../components/forms";
import { useAsync } from "../../lib/useAsync";
import { useUser } from "../../lib/useAuth";
import { formatDateTime, setDisplayZone } from "../../lib/time";
import { BrokerAccounts } from "../trades/BrokerAccounts";

export default function SettingsPage() {
  return (
    <div className="stack narrow">
      <PageHeader title="Settings" />
      <Profile />
      <Password />
      <Sessions />
      <BrokerAccounts />
    </div>
  );
}

function zones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  const all = intl.supportedValuesOf?.("timeZone") ?? [];
  return all.includes("Asia/Kolkata") ? all : ["Asia/Kolkata", ...all];
}

function Profile() {
  const user = useUser();
  const [form, setForm] = useState({ name: user.name, phone: user.phone, timezone: user.timezone });
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const options = useMemo(() => zones().map((z) => ({ value: z, label: z })), []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setSaved(false);
    try {
      const next = await updateProfile(form);
      setDisplayZone(next.timezone);
      updateUser(next);
      setSaved(true);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section className="panel" aria-labelledby="profile-h">
      <h2 id="profile-h">Profile</h2>
      <form className="stack" onSubmit={submit} aria-label="Profile">
        <ErrorBanner error={error} />
        <TextInput
          label="Email"
          value={user.email}
          disabled
          hint="Your sign-in; it cannot be changed here."
        />
        <TextInput
          label="Name"
          value={form.name}
          onChange={(e) => setForm({ ...form, name: e.target.value })}
          error={fieldError(error, "name")}
        />
        <TextInput
          label="Phone"
          type="tel"
          value={form.phone}
          placeholder="+919812345678"
          onChange={(e) => setForm({ ...form, phone: e.target.value })}
          error={fieldError(error, "phone")}
          hint="International form. SMS alerts need it verified (Alerts → Phone)."
        />
        <Select
          label="Timezone"
          value={form.timezone}
          options={options}
          onChange={(e) => setForm({ ...form, timezone: e.target.value })}
          error={fieldError(error, "timezone")}
          hint="Every time in the app is shown in this zone (IST by default)."
        />
        <div className="row">
          <button type="submit" className="primary">
            Save profile
          </button>
          {saved && <span role="status">Saved.</span>}
        </div>
      </form>
    </section>
  );
}

function Password() {
  const navigate = useNavigate();
  const [form, setForm] = useState({ current: "", next: "" });
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await changePassword(form.current, form.next);
      // The server ended every login, this one included.
      forgetSession("Password changed. Sign in with your new password.");
      navigate("/signin");
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section className="panel" aria-labelledby="password-h">
      <h2 id="password-h">Password</h2>
      <form className="stack" onSubmit={submit} aria-label="Change password">
        <ErrorBanner error={error} />
        <TextInput
          label="Current password"
          type="password"
          autoComplete="current-password"
          required
          value={form.current}
          onChange={(e) => setForm({ ...form, current: e.target.value })}
          error={fieldError(error, "current_password")}
        />
        <TextInput
          label="New password"
          type="password"
          autoComplete="new-password"
          required
          minLength={8}
          value={form.next}
          onChange={(e) => setForm({ ...form, next: e.target.value })}
          error={fieldError(error, "new_password")}
          hint="Changing it signs you out everywhere."
        />
        <div className="row">
          <button type="submit">Change password</button>
        </div>
      </form>
    </section>
  );
}

function Sessions() {
  const navigate = useNavigate();
  const sessions = useAsync(() => listSessions(), []);
  const [error, setError] = useState<unknown>(null);
  const end = async (sid: string) => {
    setError(null);
    try {
      await endSession(sid);
      sessions.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section className="panel" aria-labelledby="sessions-h">
      <h2 id="sessions-h">Sessions</h2>
      <ErrorBanner error={error ?? sessions.error} />
      {!sessions.data ? (
        <Spinner />
      ) : (
        <DataTable
          label="Sessions"
          rows={sessions.data}
          rowKey={(s) => s.sid}
          empty="No sessions."
          columns={[
            {
              header: "Device",
              cell: (s) => (
                <span title={s.user_agent}>
                  {describeAgent(s.user_agent)}
                  {s.current && <strong> (this browser)</strong>}
                </span>
              ),
            },
            { header: "Address", cell: (s) => s.ip || "—" },
            { header: "Signed in", cell: (s) => formatDateTime(s.created_at) },
            { header: "Last active", cell: (s) => formatDateTime(s.last_used_at) },
            {
              header: "",
              cell: (s) =>
                !s.current && (
                  <button type="button" onClick={() => void end(s.sid)}>
                    End
                  </button>
                ),
            },
          ]}
        />
      )}
      <div className="row">
        <button type="button" onClick={() => void signOut(true).then(() => navigate("/signin"))}>
          Sign out everywhere
        </button>
      </div>
    </section>
  );
}

export function describeAgent(ua: string): string {
  if (!ua) return "Unknown device";
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /Chrom(e|ium)\//.test(ua)
      ? "Chrome"
      : /Firefox\//.test(ua)
        ? "Firefox"
        : /Safari\//.test(ua)
          ? "Safari"
          : ua.split(/[ /]/)[0] || "Browser";
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad/.test(ua)
      ? "iOS"
      : /Windows/.test(ua)
        ? "Windows"
        : /Mac OS X/.test(ua)
          ? "macOS"
          : /Linux/.test(ua)
            ? "Linux"
            : "";
  return os ? `${browser} on ${os}` : browser;
}
