/** Timeframe and risk settings (graph.settings), edited like any other part of the document. */
import { NumberField, SelectField, TimeField } from "./fields";
import { TIMEFRAMES } from "./kinds";
import type { Level, Problem, RiskSettings } from "./types";

interface Props {
  timeframe: string;
  risk: RiskSettings;
  problems: Problem[];
  onTimeframe: (tf: string) => void;
  onRisk: (risk: RiskSettings, key: string) => void;
}

const LEVELS: { key: "stop_loss" | "target" | "trailing_stop"; label: string }[] = [
  { key: "stop_loss", label: "Stop loss" },
  { key: "target", label: "Target" },
  { key: "trailing_stop", label: "Trailing stop" },
];

export function RiskForm({ timeframe, risk, problems, onTimeframe, onRisk }: Props) {
  const set = <K extends keyof RiskSettings>(key: K, value: RiskSettings[K]) => {
    const next: RiskSettings = { ...risk, [key]: value };
    if (value === null || value === undefined) delete next[key];
    onRisk(next, `risk:${key}`);
  };
  const settingsProblems = problems.filter(
    (p) => p.node === null && p.field.startsWith("settings"),
  );
  return (
    <section className="risk-form" aria-label="Timeframe and risk" data-testid="risk-form">
      <h3>Timeframe and risk</h3>
      <form onSubmit={(e) => e.preventDefault()}>
        <SelectField
          label="Timeframe"
          value={timeframe}
          options={TIMEFRAMES}
          onChange={onTimeframe}
          testId="timeframe"
        />
        {LEVELS.map(({ key, label }) => (
          <LevelField
            key={key}
            label={label}
            name={key}
            level={risk[key] ?? null}
            onChange={(v) => set(key, v)}
          />
        ))}
        <NumberField
          label="Daily max loss (₹)"
          value={risk.daily_max_loss}
          kind="float"
          min={0.01}
          optional
          onChange={(v) => set("daily_max_loss", v)}
          testId="risk-daily_max_loss"
        />
        <NumberField
          label="Max loss per trade (₹)"
          value={risk.per_trade_max_loss}
          kind="float"
          min={0.01}
          optional
          onChange={(v) => set("per_trade_max_loss", v)}
          testId="risk-per_trade_max_loss"
        />
        <NumberField
          label="Max trades per day"
          value={risk.max_trades_per_day}
          kind="int"
          min={1}
          max={10000}
          optional
          onChange={(v) => set("max_trades_per_day", v)}
          testId="risk-max_trades_per_day"
        />
        <TimeField
          label="Square off at (IST)"
          value={risk.square_off ?? null}
          optional
          onChange={(v) => set("square_off", v)}
          testId="risk-square_off"
        />
        <NumberField
          label="Cooldown bars after an exit"
          value={risk.cooldown_bars}
          kind="int"
          min={0}
          max={100000}
          optional
          onChange={(v) => set("cooldown_bars", v)}
          testId="risk-cooldown_bars"
        />
        <NumberField
          label="Minimum bars held"
          value={risk.min_hold_bars}
          kind="int"
          min={0}
          max={100000}
          optional
          onChange={(v) => set("min_hold_bars", v)}
          testId="risk-min_hold_bars"
        />
      </form>
      {settingsProblems.length > 0 && (
        <ul className="problems">
          {settingsProblems.map((p, i) => (
            <li key={i} className={p.code && p.code !== "invalid_graph" ? "warning" : "error"}>
              {p.field}: {p.message}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function LevelField({
  label,
  name,
  level,
  onChange,
}: {
  label: string;
  name: string;
  level: Level | null;
  onChange: (l: Level | null) => void;
}) {
  const unit = level?.unit ?? "points";
  return (
    <fieldset className="field level">
      <legend>{label}</legend>
      <NumberField
        label="Value (empty = off)"
        value={level?.value ?? null}
        kind="float"
        min={0.0001}
        max={unit === "percent" ? 100 : 1e9}
        optional
        onChange={(v) => onChange(v === null ? null : { value: v, unit })}
        testId={`risk-${name}-value`}
      />
      <SelectField
        label="Unit"
        value={unit}
        options={["points", "percent"]}
        disabled={level === null}
        onChange={(u) => level && onChange({ value: level.value, unit: u as Level["unit"] })}
        testId={`risk-${name}-unit`}
      />
    </fieldset>
  );
}
