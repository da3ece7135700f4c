/** The analytics "group by" radios (backtest analytics, trade analytics): one chip each. */
import { useId } from "react";

export function GroupChooser<V extends string>({
  views,
  value,
  onChange,
  label = "Group trades by",
  text = (v) => v,
}: {
  views: readonly V[];
  value: V;
  onChange: (v: V) => void;
  label?: string;
  /** The chip's text after "by " (e.g. "hour of entry" for "hour"). */
  text?: (v: V) => string;
}) {
  const name = useId(); // one radio group per chooser, however many are on the page
  return (
    <div className="row" role="radiogroup" aria-label={label}>
      {views.map((v) => (
        <label key={v} className="chip">
          <input type="radio" name={name} checked={value === v} onChange={() => onChange(v)} />
          by {text(v)}
        </label>
      ))}
    </div>
  );
}
