/** One live session: status and controls, the position panel (position, average, today's
 * P&L, last signal, indicator values, next protective levels), the live chart with the
 * session's orders, the event log and the orders. `session.state` events update the panel at
 * once; the other live events re-read the log, the orders and the chart; a reconnect re-reads
 * everything (events in the gap were lost). */
import { lazy, Suspense, useCallback, useState } from "react";
import { useNavigate, useParams } from "react-router-dom";
import {
  getSession,
  listSessionEvents,
  listSessionOrders,
  type Session,
  type SessionEvent,
  type SessionEventKind,
} from "../../api/live";
import { getCandles, searchInstruments, type Timeframe } from "../../api/marketdata";
import { DataTable } from "../../components/DataTable";
import { PageHeader } from "../../components/Layout";
import { ErrorBanner, Select, Spinner } from "../../components/forms";
import { formatMoney, formatNumber, signClass } from "../../lib/format";
import { formatDateTime, zonedParts } from "../../lib/time";
import { useAsync } from "../../lib/useAsync";
import { useEvents, useReconnect, useThrottled } from "../../lib/useEvents";
import { statusLabel } from "../trades/ticket";
import { DriftPanel } from "./DriftPanel";
import { LIVE_EVENTS, SessionControls, sessionName } from "./LivePage";
import { applyState, levelRows, orderMarkers, signalText, type StateEvent } from "./session";
import "../trades/trades.css";
import "./live.css";

const LiveChart = lazy(() => import("../../charts/LiveChart"));
const KINDS: SessionEventKind[] = ["signal", "order", "fill", "guardrail", "error", "state"];

export default function SessionPage() {
  const id = Number(useParams().id);
  const navigate = useNavigate();
  const session = useAsync(() => getSession(id), [id]);
  // The last announced state, newer than the REST read until the next read.
  const [live, setLive] = useState<StateEvent | null>(null);
  const [kind, setKind] = useState("");
  const [tick, setTick] = useState(0);
  const events = useAsync(
    () => listSessionEvents(id, kind ? { kind: kind as SessionEventKind } : {}),
    [id, kind, tick],
  );
  const orderEvents = useAsync(
    () => listSessionEvents(id, { kind: "order", page_size: 200 }),
    [id, tick],
  );
  const orders = useAsync(() => listSessionOrders(id), [id, tick]);

  // The panel follows every session.state at once; the log, orders and chart are re-read
  // at most once a second (a fast replay steps several times a second).
  const reread = useThrottled(() => {
    session.reload(); // steps and anything else a state event does not carry
    setTick((t) => t + 1);
  }, 1000);
  const reloadAll = () => {
    setLive(null);
    session.reload();
    setTick((t) => t + 1);
  };
  useEvents((ev) => {
    const data = (ev.data ?? {}) as { session?: number };
    if (data.session !== id) return;
    if (ev.type === "session.state") setLive(data as StateEvent);
    else session.reload(); // a status change or a guardrail: at once
    reread();
  }, LIVE_EVENTS);
  useReconnect(reloadAll);

  const s = session.data ? (live ? applyState(session.data, live) : session.data) : undefined;
  if (session.error && !s) return <ErrorBanner error={session.error} />;
  if (!s) return <Spinner />;

  return (
    <div className="stack">
      <PageHeader title={sessionName(s)}>
        <span className={`badge badge-${s.status}`} data-testid="session-status">
          {s.status}
        </span>
      </PageHeader>
      {s.status_reason && <p className="banner banner-error">{s.status_reason}</p>}
      <SessionControls session={s} onDone={reloadAll} onDeleted={() => navigate("/live")} />
      <div className="grid two">
        <PositionPanel s={s} />
        <SignalPanel s={s} />
      </div>
      <section className="panel stack" aria-labelledby="chart-h">
        <h2 id="chart-h">Chart</h2>
        <SessionChart s={s} tick={tick} events={orderEvents.data?.results ?? []} />
      </section>
      {s.last_bar && <DriftPanel sessionId={s.id} />}
      <div className="grid two">
        <section className="panel stack" aria-labelledby="log-h">
          <h2 id="log-h">Event log</h2>
          <Select
            label="Kind"
            value={kind}
            onChange={(e) => setKind(e.target.value)}
            options={[
              { value: "", label: "Every kind" },
              ...KINDS.map((k) => ({ value: k, label: k })),
            ]}
          />
          <ErrorBanner error={events.error} />
          <DataTable
            label="Event log"
            rows={events.data?.results ?? []}
            rowKey={(e) => e.id}
            empty="Nothing logged yet."
            columns={[
              { header: "Time", cell: (e) => formatDateTime(e.bar_ts ?? e.at) },
              {
                header: "Kind",
                cell: (e) => <span className={`badge kind-${e.kind}`}>{e.kind}</span>,
              },
              { header: "Message", cell: (e) => e.message },
            ]}
          />
        </section>
        <section className="panel stack" aria-labelledby="session-orders-h">
          <h2 id="session-orders-h">Orders</h2>
          <ErrorBanner error={orders.error} />
          <DataTable
            label="Session orders"
            rows={orders.data?.results ?? []}
            rowKey={(o) => o.id}
            empty="No orders yet."
            columns={[
              { header: "Time", cell: (o) => formatDateTime(o.created_at) },
              { header: "Side", cell: (o) => o.side },
              { header: "Lots", num: true, cell: (o) => o.lots },
              {
                header: "Status",
                cell: (o) => (
                  <span className={`badge badge-${o.status}`}>{statusLabel(o.status)}</span>
                ),
              },
              { header: "Filled", num: true, cell: (o) => `${o.filled_quantity}/${o.quantity}` },
              { header: "Price (₹)", num: true, cell: (o) => formatMoney(o.average_price) },
              { header: "Reason", cell: (o) => o.reason || "signal" },
            ]}
          />
        </section>
      </div>
    </div>
  );
}

function PositionPanel({ s }: { s: Session }) {
  const levels = levelRows(s.levels as Record<string, unknown> | null);
  return (
    <section className="panel stack" aria-labelledby="position-h" data-testid="position-panel">
      <h2 id="position-h">Position</h2>
      <dl className="summary-grid">
        <div>
          <dt className="muted small">Position (units)</dt>
          <dd className="metric-value" data-testid="session-position">
            {s.position}
          </dd>
        </div>
        <div>
          <dt className="muted small">Average (₹)</dt>
          <dd className="metric-value">
            {s.average_price == null ? "—" : formatMoney(s.average_price)}
          </dd>
        </div>
        <div>
          <dt className="muted small">P&amp;L today (₹)</dt>
          <dd className={`metric-value ${signClass(s.day_pnl)}`} data-testid="session-pnl">
            {formatMoney(s.day_pnl)}
          </dd>
        </div>
        <div>
          <dt className="muted small">Last bar</dt>
          <dd data-testid="session-last-bar">{s.last_bar ? formatDateTime(s.last_bar) : "—"}</dd>
        </div>
        <div>
          <dt className="muted small">Steps</dt>
          <dd data-testid="session-steps">{s.steps}</dd>
        </div>
      </dl>
      <h3>Next protective levels</h3>
      {levels.length === 0 ? (
        <p className="muted">No open position.</p>
      ) : (
        <dl className="facts" aria-label="Protective levels">
          {levels.map(([k, v]) => (
            <div key={k} className="contents">
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}

function SignalPanel({ s }: { s: Session }) {
  const values = Object.entries(s.indicators ?? {});
  return (
    <section className="panel stack" aria-labelledby="signal-h">
      <h2 id="signal-h">Last signal</h2>
      <p data-testid="session-signal">{signalText(s.last_signal)}</p>
      <h3>Indicator values</h3>
      {values.length === 0 ? (
        <p className="muted">None yet.</p>
      ) : (
        <dl className="facts" aria-label="Indicator values" data-testid="session-indicators">
          {values.map(([k, v]) => (
            <div key={k} className="contents">
              <dt>{k}</dt>
              <dd>{v == null ? "—" : formatNumber(v)}</dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}

/** The replay's bars up to the session's last bar (re-read as bars arrive), with its orders. */
function SessionChart({ s, tick, events }: { s: Session; tick: number; events: SessionEvent[] }) {
  const replay = (s.replay ?? {}) as { start?: string };
  const instrument = useAsync(
    () =>
      searchInstruments(s.instrument, 5).then(
        (r) => r.results.find((i) => i.symbol === s.instrument) ?? null,
      ),
    [s.instrument],
  );
  const instrumentId = instrument.data?.id ?? null;
  const lastBar = s.last_bar;
  const candles = useAsync(async () => {
    if (!instrumentId || !lastBar) return null;
    const start = replay.start ?? zonedParts(lastBar).date;
    const c = await getCandles(instrumentId, {
      start,
      end: zonedParts(lastBar).date,
      timeframe: s.timeframe as Timeframe,
    });
    // Only what the session has seen: a replay's later bars are stored but not yet played.
    const seen = Date.parse(lastBar) / 1000;
    let n = c.t.length;
    while (n > 0 && c.t[n - 1]! > seen) n -= 1;
    return {
      t: c.t.slice(0, n),
      o: c.o.slice(0, n),
      h: c.h.slice(0, n),
      l: c.l.slice(0, n),
      c: c.c.slice(0, n),
    };
  }, [instrumentId, tick, lastBar === null, replay.start ?? "", s.timeframe]);
  const markers = useCallback((times: number[]) => orderMarkers(events, times), [events]);

  if (!lastBar) return <p className="muted">The chart starts with the session's first bar.</p>;
  return (
    <>
      <ErrorBanner error={candles.error ?? instrument.error} />
      <Suspense fallback={<Spinner label="Loading the chart…" />}>
        <LiveChart candles={candles.data ?? null} markers={markers} />
      </Suspense>
    </>
  );
}
