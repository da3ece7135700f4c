/** The backtest form: strategy and version, instrument by symbol (with the dates its data
 * covers), dates, capital, lots, fees preset (Indian by default), slippage, fill rule, and
 * for a strategy with option legs how premiums are priced (components/OptionsFields). */
import { useMemo, useState, type FormEvent } from "react";
import { useNavigate, useSearchParams } from "react-router-dom";
import { submitBacktest, type BacktestRequest } from "../../api/backtests";
import { getStrategy, getVersion, listStrategies, listVersions } from "../../api/strategies";
import { getInstrument, searchInstruments, type Instrument } from "../../api/marketdata";
import { PageHeader } from "../../components/Layout";
import { OptionsFields } from "../../components/OptionsFields";
import { Checkbox, ErrorBanner, Select, TextInput, fieldError } from "../../components/forms";
import { NEW_OPTIONS, hasOptionLegs, optionsRequest } from "../../lib/options";
import { useAsync } from "../../lib/useAsync";
import { formatDate, zonedParts } from "../../lib/time";

export const FEE_PRESETS = [
  { value: "india_futures", label: "India — index/stock futures (NSE/BSE charges)" },
  { value: "india_options", label: "India — options (NSE/BSE charges)" },
  { value: "india_equity_intraday", label: "India — equity intraday (NSE/BSE charges)" },
  { value: "zero", label: "No charges" },
];

/** The Indian preset that fits an instrument's kind. */
export function feePresetFor(kind: string | undefined): string {
  if (kind === "option") return "india_options";
  if (kind === "equity") return "india_equity_intraday";
  return "india_futures";
}

export default function NewBacktestPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [strategyId, setStrategyId] = useState<number | null>(
    params.get("strategy") ? Number(params.get("strategy")) : null,
  );
  const [version, setVersion] = useState<string>("");
  const [query, setQuery] = useState(params.get("symbol") ?? "");
  const [instrument, setInstrument] = useState<Instrument | null>(null);
  const [form, setForm] = useState({
    start: "",
    end: "",
    capital: "500000",
    lots: "1",
    fees: "",
    slippageTicks: "1",
    slippageBps: "0",
    fill: "next_open",
    stopFirst: true,
    allowLong: true,
    allowShort: true,
  });
  const [options, setOptions] = useState(NEW_OPTIONS);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const strategies = useAsync(() => listStrategies({ page_size: 200 }), []);
  const sid = strategyId ?? strategies.data?.results[0]?.id ?? null;
  const versions = useAsync(() => (sid ? listVersions(sid) : Promise.resolve(null)), [sid]);
  const strategy = useAsync(() => (sid ? getStrategy(sid) : Promise.resolve(null)), [sid]);
  // The chosen version's graph (the current one by default): option legs need `options`.
  const versionGraph = useAsync(
    () =>
      sid && version
        ? getVersion(sid, Number(version)).then((v) => v.graph)
        : Promise.resolve(null),
    [sid, version],
  );
  const legs = hasOptionLegs(version ? versionGraph.data : strategy.data?.graph);
  const matches = useAsync(
    () =>
      query.trim().length >= 1 && !instrument
        ? searchInstruments(query.trim(), 8)
        : Promise.resolve(null),
    [query, instrument?.id ?? null],
  );
  // An exact symbol typed (or passed in the URL) picks its instrument.
  const exact = matches.data?.results.find(
    (i) => i.symbol.toUpperCase() === query.trim().toUpperCase(),
  );
  const chosen = instrument ?? exact ?? null;
  const chosenId = chosen?.id ?? null;
  const detail = useAsync(
    () => (chosenId ? getInstrument(chosenId) : Promise.resolve(null)),
    [chosenId],
  );

  const timeframe = String(
    (strategy.data?.graph as { settings?: { timeframe?: string } } | undefined)?.settings
      ?.timeframe ?? "",
  );
  const span = useMemo(() => {
    const stored = detail.data?.stored ?? [];
    const exact = stored.find((s) => s.timeframe === timeframe);
    return exact ?? stored.find((s) => s.timeframe === "1m") ?? stored[0] ?? null;
  }, [detail.data, timeframe]);
  const minDate = span?.first ? zonedParts(span.first).date : undefined;
  const maxDate = span?.last ? zonedParts(span.last).date : undefined;

  // Defaults until the user sets them: the last 30 days of data, the charges of the kind.
  const start = form.start || (minDate && maxDate ? later(minDate, shiftDays(maxDate, -30)) : "");
  const end = form.end || maxDate || "";
  const fees = form.fees || (legs ? "india_options" : feePresetFor(chosen?.kind));

  const choose = (i: Instrument) => {
    setInstrument(i);
    setQuery(i.symbol);
    setForm((f) => ({ ...f, fees: "", start: "", end: "" }));
  };

  const set = (k: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm({ ...form, [k]: e.target.value });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!sid) return setError(new Error("Choose a strategy."));
    if (!chosen) return setError(new Error("Choose an instrument from the list."));
    const body: BacktestRequest = {
      strategy: sid,
      instrument: chosen.id,
      start,
      end,
      capital: form.capital,
      fees: { model: fees, params: {} },
      slippage: { ticks: Number(form.slippageTicks), bps: Number(form.slippageBps) },
      fill: form.fill as BacktestRequest["fill"],
      stop_first: form.stopFirst,
      allow_long: form.allowLong,
      allow_short: form.allowShort,
      pyramiding: 1,
    };
    // Legs size by their own lots: `sizing` beside them is refused (docs/backtests.md).
    if (legs) body.options = optionsRequest(options);
    else body.sizing = { mode: "lots", value: Number(form.lots) };
    if (version) body.version = Number(version);
    setBusy(true);
    setError(null);
    try {
      const run = await submitBacktest(body);
      navigate(`/backtests/${run.id}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const strategyOptions = (strategies.data?.results ?? []).map((s) => ({
    value: String(s.id),
    label: s.name,
  }));
  const versionOptions = [
    { value: "", label: "Current version" },
    ...(versions.data?.results ?? []).map((v) => ({
      value: String(v.number),
      label: `v${v.number} — ${formatDate(v.created_at)}${v.valid ? "" : " (invalid)"}`,
    })),
  ];

  return (
    <div className="stack narrow">
      <PageHeader title="New backtest" />
      <form onSubmit={submit} className="stack" aria-label="Backtest">
        <ErrorBanner error={error} />
        <fieldset>
          <legend>Strategy</legend>
          <div className="grid">
            <Select
              label="Strategy"
              value={sid ? String(sid) : ""}
              options={
                strategyOptions.length
                  ? strategyOptions
                  : [{ value: "", label: "No strategies yet" }]
              }
              onChange={(e) => {
                setStrategyId(Number(e.target.value));
                setVersion("");
              }}
              error={fieldError(error, "strategy")}
            />
            <Select
              label="Version"
              value={version}
              options={versionOptions}
              onChange={(e) => setVersion(e.target.value)}
              error={fieldError(error, "version")}
            />
          </div>
          {timeframe && <p className="muted">Timeframe: {timeframe} (from the strategy).</p>}
        </fieldset>
        <fieldset>
          <legend>Market</legend>
          <TextInput
            label="Instrument (symbol)"
            value={query}
            placeholder="NIFTY"
            autoComplete="off"
            onChange={(e) => {
              setQuery(e.target.value);
              setInstrument(null);
            }}
            error={fieldError(error, "instrument")}
          />
          {!chosen && (matches.data?.results.length ?? 0) > 0 && (
            <ul className="choices" aria-label="Matching instruments">
              {matches.data!.results.map((i) => (
                <li key={i.id}>
                  <button type="button" className="link" onClick={() => choose(i)}>
                    {i.symbol} — {i.name || i.kind} ({i.exchange})
                  </button>
                </li>
              ))}
            </ul>
          )}
          {chosen && (
            <p className="muted" data-testid="data-range">
              {span?.first
                ? `Data: ${span.timeframe} bars from ${formatDate(minDate)} to ${formatDate(maxDate)} (${span.count.toLocaleString("en-IN")} bars).`
                : "No stored bars for this instrument yet."}
            </p>
          )}
          <div className="grid">
            <TextInput
              label="Start"
              type="date"
              required
              min={minDate}
              max={maxDate}
              value={start}
              onChange={set("start")}
              error={fieldError(error, "start")}
            />
            <TextInput
              label="End"
              type="date"
              required
              min={minDate}
              max={maxDate}
              value={end}
              onChange={set("end")}
              error={fieldError(error, "end")}
            />
          </div>
        </fieldset>
        <fieldset>
          <legend>Money and fills</legend>
          <div className="grid">
            <TextInput
              label="Capital (₹)"
              inputMode="decimal"
              required
              value={form.capital}
              onChange={set("capital")}
              error={fieldError(error, "capital")}
            />
            <TextInput
              label="Lots per trade"
              type="number"
              min={1}
              step={1}
              required
              value={legs ? "1" : form.lots}
              readOnly={legs}
              hint={legs ? "Option legs size by their own lots." : undefined}
              onChange={set("lots")}
              error={fieldError(error, "sizing.value") ?? fieldError(error, "sizing")}
            />
            <Select
              label="Charges"
              value={fees}
              options={FEE_PRESETS}
              onChange={set("fees")}
              error={fieldError(error, "fees.model")}
            />
            <TextInput
              label="Slippage (ticks)"
              type="number"
              min={0}
              step="any"
              value={form.slippageTicks}
              onChange={set("slippageTicks")}
              error={fieldError(error, "slippage.ticks")}
            />
            <TextInput
              label="Slippage (bps)"
              type="number"
              min={0}
              step="any"
              value={form.slippageBps}
              onChange={set("slippageBps")}
              error={fieldError(error, "slippage.bps")}
            />
            <Select
              label="Fill rule"
              value={form.fill}
              options={[
                { value: "next_open", label: "Next bar's open (default)" },
                { value: "close", label: "Signal bar's close" },
              ]}
              onChange={set("fill")}
              error={fieldError(error, "fill")}
            />
          </div>
          <Checkbox
            label="Stop before target when a bar touches both"
            checked={form.stopFirst}
            onChange={(e) => setForm({ ...form, stopFirst: e.target.checked })}
          />
          <Checkbox
            label="Allow long trades"
            checked={form.allowLong}
            onChange={(e) => setForm({ ...form, allowLong: e.target.checked })}
          />
          <Checkbox
            label="Allow short trades"
            checked={form.allowShort}
            onChange={(e) => setForm({ ...form, allowShort: e.target.checked })}
          />
        </fieldset>
        {legs && <OptionsFields value={options} onChange={setOptions} error={error} />}
        <div className="row">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Starting…" : "Run backtest"}
          </button>
        </div>
      </form>
    </div>
  );
}

function shiftDays(date: string, days: number): string {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function later(a: string, b: string): string {
  return a > b ? a : b;
}
