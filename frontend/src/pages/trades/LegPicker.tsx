/** The order ticket's option leg: underlying, CE/PE, expiry, strike (ATM ± n, ITM/OTM n, by
 * premium or straddle percent) and ATM from spot or futures. The server resolves it to a
 * listed contract now; its messages on `option_leg.<field>` stand beside that field. */
import { fieldError, Select, TextInput } from "../../components/forms";
import { formatDateTime } from "../../lib/time";
import type { components } from "../../api/schema";
import {
  EXPIRIES,
  STRIKES,
  UNDERLYINGS,
  strikeTakes,
  type LegFields,
  type StrikeMode,
  type Underlying,
} from "./ticket";

export function LegPicker({
  leg,
  error,
  onChange,
}: {
  leg: LegFields;
  error: unknown;
  onChange: (leg: LegFields) => void;
}) {
  const set = <K extends keyof LegFields>(k: K, v: LegFields[K]) => onChange({ ...leg, [k]: v });
  const err = (field: string) => fieldError(error, `option_leg.${field}`);
  const takes = strikeTakes(leg.strike);
  return (
    <fieldset className="leg-picker" aria-label="Option leg">
      <legend>Option leg</legend>
      <Select
        label="Underlying"
        value={leg.underlying}
        onChange={(e) => set("underlying", e.target.value as Underlying)}
        options={UNDERLYINGS.map((u) => ({ value: u, label: u }))}
        error={err("underlying") ?? fieldError(error, "option_leg")}
      />
      <Select
        label="Call or put"
        value={leg.option_type}
        onChange={(e) => set("option_type", e.target.value as LegFields["option_type"])}
        options={[
          { value: "CE", label: "Call (CE)" },
          { value: "PE", label: "Put (PE)" },
        ]}
        error={err("option_type")}
      />
      <Select
        label="Expiry"
        value={leg.expiry}
        onChange={(e) => set("expiry", e.target.value)}
        options={EXPIRIES}
        error={leg.expiry === "date" ? undefined : err("expiry")}
      />
      {leg.expiry === "date" && (
        <TextInput
          label="Expiry date"
          type="date"
          required
          value={leg.expiry_date}
          onChange={(e) => set("expiry_date", e.target.value)}
          error={err("expiry")}
        />
      )}
      <Select
        label="Strike"
        value={leg.strike}
        onChange={(e) => onChange({ ...leg, strike: e.target.value as StrikeMode, value: "" })}
        options={STRIKES}
        error={err("strike")}
      />
      {takes === "offset" ? (
        <TextInput
          label={leg.strike === "ATM" ? "Strikes from ATM (±n)" : `Strikes ${leg.strike} (n)`}
          type="number"
          step={1}
          min={leg.strike === "ATM" ? -100 : 0}
          max={100}
          value={leg.offset}
          onChange={(e) => set("offset", e.target.value)}
          error={err("offset")}
        />
      ) : (
        <TextInput
          label={takes === "percent" ? "Percent of the straddle" : "Premium (₹)"}
          inputMode="decimal"
          required
          value={leg.value}
          onChange={(e) => set("value", e.target.value)}
          error={err(takes)}
        />
      )}
      <Select
        label="ATM from"
        value={leg.atm_from}
        onChange={(e) => set("atm_from", e.target.value as LegFields["atm_from"])}
        options={[
          { value: "spot", label: "Spot" },
          { value: "futures", label: "Futures" },
        ]}
        error={err("atm_from")}
      />
    </fieldset>
  );
}

/** The contract the server resolved the leg to, and the spot it chose the strike from. */
export function ResolvedLeg({ leg }: { leg: components["schemas"]["LegResolution"] }) {
  return (
    <p className="banner banner-info" data-testid="resolved-leg">
      Resolved to <strong>{leg.symbol}</strong>: {leg.underlying} {leg.expiry} {leg.strike}{" "}
      {leg.option_type}, from spot {leg.spot} at {formatDateTime(leg.spot_at)}.
    </p>
  );
}
