/**
 * Times as the user reads them: the API sends ISO instants; the UI shows them in the
 * user's timezone setting (Asia/Kolkata by default), never the browser's.
 */
export const DEFAULT_ZONE = "Asia/Kolkata";

let zone = DEFAULT_ZONE;

export function setDisplayZone(tz: string | null | undefined): void {
  zone = tz || DEFAULT_ZONE;
}

export function displayZone(): string {
  return zone;
}

const cache = new Map<string, Intl.DateTimeFormat>();
function fmt(key: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const k = `${zone}|${key}`;
  let f = cache.get(k);
  if (!f) {
    f = new Intl.DateTimeFormat("en-IN", { timeZone: zone, ...options });
    cache.set(k, f);
  }
  return f;
}

function toDate(value: string | number | Date): Date {
  return value instanceof Date ? value : new Date(value);
}

/** "30 Nov 2026, 09:15" in the user's zone. */
export function formatDateTime(value: string | number | Date | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const d = toDate(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return fmt("dt", {
    day: "2-digit",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  }).format(d);
}

/** "30 Nov 2026" in the user's zone; a plain "YYYY-MM-DD" date is shown as written. */
export function formatDate(value: string | number | Date | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const [y, m, d] = value.split("-").map(Number) as [number, number, number];
    return fmt("d-utc", { day: "2-digit", month: "short", year: "numeric" })
      .formatToParts(new Date(Date.UTC(y, m - 1, d, 12)))
      .map((p) => p.value)
      .join("");
  }
  return fmt("d", { day: "2-digit", month: "short", year: "numeric" }).format(toDate(value));
}

/** Parts of an instant in the user's zone: for grouping by day, weekday and hour. */
export function zonedParts(value: string | number | Date): {
  date: string;
  weekday: number;
  hour: number;
} {
  const parts = fmt("parts", {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    hour12: false,
    weekday: "short",
  }).formatToParts(toDate(value));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  const weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  return {
    date: `${get("year")}-${get("month")}-${get("day")}`,
    weekday: weekdays.indexOf(get("weekday")),
    hour: Number(get("hour")) % 24,
  };
}

/** Seconds since the epoch shifted so a UTC-only chart library draws the user's wall clock. */
export function chartTime(value: string | number | Date): number {
  const d = toDate(value);
  const p = fmt("chart", {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
  }).formatToParts(d);
  const get = (t: string) => Number(p.find((x) => x.type === t)?.value ?? 0);
  return (
    Date.UTC(
      get("year"),
      get("month") - 1,
      get("day"),
      get("hour") % 24,
      get("minute"),
      get("second"),
    ) / 1000
  );
}
