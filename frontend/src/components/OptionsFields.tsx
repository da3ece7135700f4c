/** The option legs' pricing fields, shared by the backtest form and the live session form
 * (the `options` block of both requests; lib/options.ts makes it). The server's messages on
 * `options.<field>` stand beside the field. */
import type { OptionsFieldsValue } from "../lib/options";
import { Select, TextInput, fieldError } from "./forms";

const SOURCES = [
  { value: "model", label: "Model (Black-76 from the underlying)" },
  { value: "real", label: "Real (stored option candles)" },
  { value: "real_then_model", label: "Real, else the model" },
];

const IV_MODES = [
  { value: "iv", label: "A constant IV" },
  { value: "auto", label: "Stored: ATM IV, else India VIX" },
  { value: "atm_iv", label: "Stored: ATM IV" },
  { value: "india_vix", label: "Stored: India VIX" },
];

export function OptionsFields({
  value,
  onChange,
  error,
  className = "grid",
}: {
  value: OptionsFieldsValue;
  onChange: (value: OptionsFieldsValue) => void;
  error: unknown;
  className?: string;
}) {
  const set = <K extends keyof OptionsFieldsValue>(k: K, v: OptionsFieldsValue[K]) =>
    onChange({ ...value, [k]: v });
  const err = (field: string) => fieldError(error, `options.${field}`);
  const model = value.premiumSource !== "real";
  return (
    <fieldset>
      <legend>Option legs</legend>
      <p className="muted">
        The strategy trades option contracts: say how their premiums are priced.
      </p>
      <div className={className}>
        <Select
          label="Premiums"
          value={value.premiumSource}
          options={SOURCES}
          onChange={(e) =>
            set("premiumSource", e.target.value as OptionsFieldsValue["premiumSource"])
          }
          error={err("premium_source") ?? fieldError(error, "options")}
        />
        {model && (
          <Select
            label="Implied volatility"
            value={value.ivMode}
            options={IV_MODES}
            onChange={(e) => set("ivMode", e.target.value as OptionsFieldsValue["ivMode"])}
            error={err("iv_series")}
          />
        )}
        {model && value.ivMode === "iv" && (
          <TextInput
            label="IV (annualised, 0.14 = 14%)"
            type="number"
            min={0.001}
            max={5}
            step="any"
            required
            value={value.iv}
            onChange={(e) => set("iv", e.target.value)}
            error={err("iv")}
          />
        )}
        <TextInput
          label="Rate (annual)"
          type="number"
          step="any"
          value={value.rate}
          onChange={(e) => set("rate", e.target.value)}
          error={err("rate")}
        />
        <TextInput
          label="Short leg margin (% of notional)"
          type="number"
          min={0.01}
          max={100}
          step="any"
          value={value.shortMarginPct}
          onChange={(e) => set("shortMarginPct", e.target.value)}
          error={err("short_margin_pct")}
        />
      </div>
    </fieldset>
  );
}
