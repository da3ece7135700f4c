/** Market data (staff): instruments with their stored series, the data-health report of a
 * series, tracked series (nightly ingestion), and ingestion runs. */
import { useState, type FormEvent } from "react";
import {
  addTracked,
  getHealth,
  getInstrument,
  listIngestionRuns,
  listTracked,
  removeTracked,
  searchInstruments,
  type Timeframe,
} from "../../api/marketdata";
import { PageHeader } from "../../components/Layout";
import { DataTable, Empty } from "../../components/DataTable";
import { ErrorBanner, Select, Spinner, TextInput, fieldError } from "../../components/forms";
import { StatusBadge } from "../../components/StatusBadge";
import { useAsync } from "../../lib/useAsync";
import { useUser } from "../../lib/useAuth";
import { formatDate, formatDateTime } from "../../lib/time";

const TIMEFRAMES: Timeframe[] = ["1m", "3m", "5m", "15m", "25m", "30m", "1h", "1d"];

export default function MarketDataPage() {
  const user = useUser();
  const [search, setSearch] = useState("");
  const [picked, setPicked] = useState<number | null>(null);
  const instruments = useAsync(() => searchInstruments(search, 25), [search]);
  if (!user.is_staff)
    return (
      <div className="stack">
        <PageHeader title="Market data" />
        <p>This page is for operators (staff accounts).</p>
      </div>
    );
  return (
    <div className="stack">
      <PageHeader title="Market data" />
      <div className="grid two">
        <section className="panel" aria-labelledby="instruments-h">
          <h2 id="instruments-h">Instruments</h2>
          <TextInput
            label="Search"
            type="search"
            value={search}
            placeholder="NIFTY"
            onChange={(e) => setSearch(e.target.value)}
          />
          <ErrorBanner error={instruments.error} />
          {!instruments.data ? (
            <Spinner />
          ) : (
            <DataTable
              label="Instruments"
              rows={instruments.data.results}
              rowKey={(i) => i.id}
              rowProps={(i) => ({ className: i.id === picked ? "selected" : undefined })}
              empty="No instrument matches."
              columns={[
                { header: "Symbol", cell: (i) => i.symbol },
                { header: "Kind", cell: (i) => i.kind },
                { header: "Exchange", cell: (i) => i.exchange },
                { header: "Lot", num: true, cell: (i) => i.lot_size },
                {
                  header: "",
                  cell: (i) => (
                    <button
                      type="button"
                      className="link"
                      onClick={() => setPicked(i.id)}
                      aria-label={`Data health of ${i.symbol}`}
                    >
                      Health
                    </button>
                  ),
                },
              ]}
            />
          )}
        </section>
        {picked ? (
          <HealthReport id={picked} />
        ) : (
          <section className="panel">
            <h2>Data health</h2>
            <Empty>Pick an instrument to see its series and health report.</Empty>
          </section>
        )}
      </div>
      <Tracked />
      <IngestionRuns />
    </div>
  );
}

function HealthReport({ id }: { id: number }) {
  const detail = useAsync(() => getInstrument(id), [id]);
  const [timeframe, setTimeframe] = useState<Timeframe>("1m");
  const health = useAsync(() => getHealth(id, { timeframe }), [id, timeframe]);
  const h = health.data;
  return (
    <section className="panel" aria-labelledby="health-h">
      <h2 id="health-h">Data health {detail.data ? `— ${detail.data.symbol}` : ""}</h2>
      {detail.data && (
        <ul className="list">
          {detail.data.stored.map((s) => (
            <li key={s.timeframe}>
              {s.timeframe}: {s.count.toLocaleString("en-IN")} bars, {formatDateTime(s.first)} →{" "}
              {formatDateTime(s.last)}
            </li>
          ))}
          {detail.data.stored.length === 0 && <li className="muted">No bars stored.</li>}
        </ul>
      )}
      <Select
        label="Series"
        value={timeframe}
        options={TIMEFRAMES.map((t) => ({ value: t, label: t }))}
        onChange={(e) => setTimeframe(e.target.value as Timeframe)}
      />
      <ErrorBanner error={health.error} />
      {health.loading && !h ? (
        <Spinner />
      ) : h ? (
        <div className="stack" data-testid="health-report">
          <p>
            <strong>{(h.coverage * 100).toFixed(1)}%</strong> coverage ·{" "}
            {h.present_bars.toLocaleString("en-IN")} of {h.expected_bars.toLocaleString("en-IN")}{" "}
            expected bars · {h.gap_count} gaps ·{" "}
            {h.stale ? <span className="neg">stale</span> : <span className="pos">fresh</span>}
          </p>
          <p className="muted small">
            Range {formatDateTime(h.start)} → {formatDateTime(h.end)}; last run{" "}
            {h.last_run
              ? `#${h.last_run.id} ${h.last_run.status} (${h.last_run.provider}) ${formatDateTime(h.last_run.finished_at)}`
              : "none"}
            .
          </p>
          {h.missing_days.length > 0 && (
            <p>
              Missing days:{" "}
              {h.missing_days
                .slice(0, 12)
                .map((d) => formatDate(d))
                .join(", ")}
              {h.missing_days.length > 12 ? "…" : ""}
            </p>
          )}
          {h.gaps.length > 0 && (
            <details>
              <summary>{h.gaps.length} gaps</summary>
              <ul className="list">
                {h.gaps.slice(0, 50).map((g) => (
                  <li key={g.start}>
                    {formatDateTime(g.start)} → {formatDateTime(g.end)} ({g.bars} bars)
                  </li>
                ))}
              </ul>
            </details>
          )}
          {Object.keys(h.anomalies.counts).length > 0 && (
            <p>
              Anomalies:{" "}
              {Object.entries(h.anomalies.counts)
                .map(([k, n]) => `${k} ${n}`)
                .join(", ")}
            </p>
          )}
        </div>
      ) : null}
    </section>
  );
}

function Tracked() {
  const tracked = useAsync(() => listTracked(), []);
  const [form, setForm] = useState({
    instrument: "",
    timeframe: "1m",
    provider: "dhan",
    history_days: "365",
  });
  const [error, setError] = useState<unknown>(null);
  const add = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await addTracked({
        instrument: form.instrument,
        timeframe: form.timeframe as Timeframe,
        provider: form.provider,
        history_days: Number(form.history_days),
      });
      tracked.reload();
    } catch (err) {
      setError(err);
    }
  };
  const remove = async (id: number) => {
    try {
      await removeTracked(id);
      tracked.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section className="panel" aria-labelledby="tracked-h">
      <h2 id="tracked-h">Tracked series</h2>
      <ErrorBanner error={error ?? tracked.error} />
      {tracked.data && (
        <DataTable
          label="Tracked series"
          rows={tracked.data.results}
          rowKey={(t) => t.id}
          empty="No series tracked yet."
          columns={[
            { header: "Instrument", cell: (t) => `#${t.instrument}` },
            { header: "Timeframe", cell: (t) => t.timeframe },
            { header: "Provider", cell: (t) => t.provider },
            { header: "History (days)", num: true, cell: (t) => t.history_days },
            { header: "Active", cell: (t) => (t.is_active ? "yes" : "no") },
            {
              header: "",
              cell: (t) => (
                <button
                  type="button"
                  className="link danger-text"
                  onClick={() => void remove(t.id)}
                >
                  Stop tracking
                </button>
              ),
            },
          ]}
        />
      )}
      <form className="row" onSubmit={add} aria-label="Track a series">
        <TextInput
          label="Instrument"
          required
          value={form.instrument}
          placeholder="NIFTY"
          onChange={(e) => setForm({ ...form, instrument: e.target.value })}
          error={fieldError(error, "instrument")}
        />
        <Select
          label="Timeframe"
          value={form.timeframe}
          options={TIMEFRAMES.map((t) => ({ value: t, label: t }))}
          onChange={(e) => setForm({ ...form, timeframe: e.target.value })}
        />
        <TextInput
          label="Provider"
          value={form.provider}
          onChange={(e) => setForm({ ...form, provider: e.target.value })}
          error={fieldError(error, "provider")}
        />
        <TextInput
          label="History (days)"
          type="number"
          min={1}
          value={form.history_days}
          onChange={(e) => setForm({ ...form, history_days: e.target.value })}
          error={fieldError(error, "history_days")}
        />
        <button type="submit">Track</button>
      </form>
    </section>
  );
}

function IngestionRuns() {
  const runs = useAsync(() => listIngestionRuns(), []);
  return (
    <section className="panel" aria-labelledby="runs-h">
      <h2 id="runs-h">Ingestion runs</h2>
      <ErrorBanner error={runs.error} />
      {!runs.data ? (
        <Spinner />
      ) : (
        <DataTable
          label="Ingestion runs"
          rows={runs.data.results}
          rowKey={(r) => r.id}
          empty="No ingestion has run yet."
          columns={[
            { header: "#", cell: (r) => r.id },
            { header: "Kind", cell: (r) => r.kind },
            { header: "Provider", cell: (r) => r.provider },
            {
              header: "Series",
              cell: (r) => `${r.instrument ? `#${r.instrument}` : "—"} ${r.timeframe}`,
            },
            {
              header: "Status",
              cell: (r) => (
                <>
                  <StatusBadge status={r.status} />
                  {r.error && <div className="small neg">{r.error}</div>}
                </>
              ),
            },
            {
              header: "Rows in / new / rejected",
              num: true,
              cell: (r) => `${r.rows_received} / ${r.rows_inserted} / ${r.rows_rejected}`,
            },
            { header: "Finished", cell: (r) => formatDateTime(r.finished_at) },
          ]}
        />
      )}
    </section>
  );
}
