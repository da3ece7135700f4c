/** In-app (push) alerts as they arrive on /ws/: a polite live region, dismissable, gone
 * by themselves after a while. */
import { useState } from "react";
import { Link } from "react-router-dom";
import { useEvents } from "../lib/useEvents";

// Long enough to read, short enough not to sit over a page's table for the rest of the visit.
const TOAST_MS = 10_000;

interface Toast {
  id: string;
  title: string;
  body: string;
}

export function Toasts() {
  const [toasts, setToasts] = useState<Toast[]>([]);
  useEvents(
    (ev) => {
      const d = ev.data ?? {};
      const toast = {
        id: String(ev.id ?? Date.now()),
        title: String(d.subject ?? d.event_type ?? "Alert"),
        body: String(d.body ?? d.message ?? "").split("\n")[0] ?? "",
      };
      setToasts((t) => [...t.slice(-3), toast]);
      window.setTimeout(() => setToasts((all) => all.filter((x) => x.id !== toast.id)), TOAST_MS);
    },
    ["notification"],
  );
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className="toast">
          <strong>{t.title}</strong>
          {t.body && <div className="small">{t.body}</div>}
          <div className="row">
            <Link to="/alerts">Alerts</Link>
            <button
              type="button"
              className="link"
              onClick={() => setToasts((all) => all.filter((x) => x.id !== t.id))}
            >
              Dismiss
            </button>
          </div>
        </div>
      ))}
    </div>
  );
}
