/** Small keyboard-usable form controls shared by the node inspector and the risk form. */
import { useId, useState } from "react";

export function numberProblem(
  value: number,
  kind: "int" | "float",
  min?: number,
  max?: number,
): string | null {
  if (kind === "int" && !Number.isInteger(value)) return "must be a whole number";
  if (min !== undefined && max !== undefined && (value < min || value > max))
    return `must be between ${min} and ${max}`;
  if (min !== undefined && value < min) return `must be at least ${min}`;
  if (max !== undefined && value > max) return `must be at most ${max}`;
  return null;
}

interface NumberFieldProps {
  label: string;
  value: number | null | undefined;
  kind: "int" | "float";
  min?: number;
  max?: number;
  /** An empty box means "off" (null) instead of being an error. */
  optional?: boolean;
  onChange: (value: number | null) => void;
  testId?: string;
  help?: string;
}

/**
 * A number box that keeps what the user types; a parsable number is committed even when
 * out of range (the server names it on the node), with the range shown beside it.
 */
export function NumberField({
  label,
  value,
  kind,
  min,
  max,
  optional,
  onChange,
  testId,
  help,
}: NumberFieldProps) {
  const id = useId();
  const [text, setText] = useState(value === null || value === undefined ? "" : String(value));
  // When the value changes from outside (undo, another version), show it; while the user
  // types, what they typed stays (e.g. "1." on the way to "1.5").
  const [seen, setSeen] = useState(value ?? null);
  if ((value ?? null) !== seen) {
    setSeen(value ?? null);
    const shown = text.trim() === "" ? null : Number(text);
    if (shown !== (value ?? null))
      setText(value === null || value === undefined ? "" : String(value));
  }
  const problem: string | null =
    text.trim() === ""
      ? optional
        ? null
        : "is required"
      : !Number.isFinite(Number(text))
        ? "must be a number"
        : numberProblem(Number(text), kind, min, max);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        inputMode={kind === "int" ? "numeric" : "decimal"}
        step={kind === "int" ? 1 : "any"}
        min={min}
        max={max}
        value={text}
        aria-invalid={problem !== null}
        aria-describedby={problem ? `${id}-err` : undefined}
        data-testid={testId}
        title={help}
        onChange={(e) => {
          const t = e.target.value;
          setText(t);
          if (t.trim() === "") {
            if (optional) onChange(null);
            return;
          }
          const v = Number(t);
          if (Number.isFinite(v) && (kind === "float" || Number.isInteger(v))) onChange(v);
        }}
      />
      {problem ? (
        <span className="field-error" id={`${id}-err`} role="alert">
          {problem}
        </span>
      ) : min !== undefined && max !== undefined && Math.abs(max) < 1e9 ? (
        <span className="field-hint">
          {min} – {max}
        </span>
      ) : null}
    </div>
  );
}

interface SelectFieldProps {
  label: string;
  value: string;
  options: string[];
  onChange: (value: string) => void;
  emptyLabel?: string;
  testId?: string;
  disabled?: boolean;
}

export function SelectField({
  label,
  value,
  options,
  onChange,
  emptyLabel,
  testId,
  disabled,
}: SelectFieldProps) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value}
        data-testid={testId}
        disabled={disabled}
        onChange={(e) => onChange(e.target.value)}
      >
        {emptyLabel !== undefined && <option value="">{emptyLabel}</option>}
        {options.map((o) => (
          <option key={o} value={o}>
            {o.replace(/_/g, " ")}
          </option>
        ))}
      </select>
    </div>
  );
}

export function TimeField({
  label,
  value,
  onChange,
  optional,
  testId,
}: {
  label: string;
  value: string | null;
  onChange: (v: string | null) => void;
  optional?: boolean;
  testId?: string;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="time"
        value={value ?? ""}
        data-testid={testId}
        required={!optional}
        onChange={(e) => onChange(e.target.value === "" ? null : e.target.value.slice(0, 5))}
      />
    </div>
  );
}
