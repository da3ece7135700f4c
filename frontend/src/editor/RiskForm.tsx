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

type LevelKey = "stop_loss" | "target" | "trailing_stop";
type NumberKey =
  | "daily_max_loss"
  | "per_trade_max_loss"
  | "max_trades_per_day"
  | "cooldown_bars"
  | "min_hold_bars";

/** Every risk setting, in the order shown: one row each, drawn by its kind. */
export const RISK_FIELDS: (
  | { kind: "level"; key: LevelKey; label: string }
  | {
      kind: "number";
      key: NumberKey;
      label: string;
      type: "int" | "float";
      min: number;
      max?: number;
    }
  | { kind: "time"; key: "square_off"; label: string }
)[] = [
  { kind: "level", key: "stop_loss", label: "Stop loss" },
  { kind: "level", key: "target", label: "Target" },
  { kind: "level", key: "trailing_stop", label: "Trailing stop" },
  { kind: "number", key: "daily_max_loss", label: "Daily max loss (₹)", type: "float", min: 0.01 },
  {
    kind: "number",
    key: "per_trade_max_loss",
    label: "Max loss per trade (₹)",
    type: "float",
    min: 0.01,
  },
  {
    kind: "number",
    key: "max_trades_per_day",
    label: "Max trades per day",
    type: "int",
    min: 1,
    max: 10000,
  },
  { kind: "time", key: "square_off", label: "Square off at (IST)" },
  {
    kind: "number",
    key: "cooldown_bars",
    label: "Cooldown bars after an exit",
    type: "int",
    min: 0,
    max: 100000,
  },
  {
    kind: "number",
    key: "min_hold_bars",
    label: "Minimum bars held",
    type: "int",
    min: 0,
    max: 100000,
  },
];

export function RiskForm({ timeframe, risk, problems, onTimeframe, onRisk }: Props) {
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
        <RiskFields risk={risk} onChange={onRisk} />
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

/** The rows of RISK_FIELDS over one risk object (also a live session's overrides); an empty
 * row removes its key. */
export function RiskFields({
  risk,
  onChange,
}: {
  risk: RiskSettings;
  onChange: (risk: RiskSettings, key: string) => void;
}) {
  const set = <K extends keyof RiskSettings>(key: K, value: RiskSettings[K]) => {
    const next: RiskSettings = { ...risk, [key]: value };
    if (value === null || value === undefined) delete next[key];
    onChange(next, `risk:${key}`);
  };
  return (
    <>
      {RISK_FIELDS.map((f) =>
        f.kind === "level" ? (
          <LevelField
            key={f.key}
            label={f.label}
            name={f.key}
            level={risk[f.key] ?? null}
            onChange={(v) => set(f.key, v)}
          />
        ) : f.kind === "number" ? (
          <NumberField
            key={f.key}
            label={f.label}
            value={risk[f.key]}
            kind={f.type}
            min={f.min}
            {...(f.max !== undefined ? { max: f.max } : {})}
            optional
            onChange={(v) => set(f.key, v)}
            testId={`risk-${f.key}`}
          />
        ) : (
          <TimeField
            key={f.key}
            label={f.label}
            value={risk[f.key] ?? null}
            optional
            onChange={(v) => set(f.key, v)}
            testId={`risk-${f.key}`}
          />
        ),
      )}
    </>
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
