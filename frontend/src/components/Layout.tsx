/** The app shell: top bar with navigation (a menu button under 720 px), the signed-in user's
 * menu, the live-connection indicator, and the page. */
import { useState, type ReactNode } from "react";
import { NavLink, Outlet, useNavigate } from "react-router-dom";
import { signOut } from "../api/auth";
import { useUser } from "../lib/useAuth";
import { useSocketStatus } from "../lib/useEvents";
import { Toasts } from "./Toasts";

const NAV: { to: string; label: string; staff?: boolean }[] = [
  { to: "/", label: "Dashboard" },
  { to: "/strategies", label: "Strategies" },
  { to: "/backtests", label: "Backtests" },
  { to: "/sweeps", label: "Sweeps" },
  { to: "/trades", label: "Trading" },
  { to: "/live", label: "Live" },
  { to: "/alerts", label: "Alerts" },
  { to: "/marketdata", label: "Market data", staff: true },
  { to: "/settings", label: "Settings" },
];

export function Layout() {
  const user = useUser();
  const [open, setOpen] = useState(false);
  const navigate = useNavigate();
  const live = useSocketStatus();

  const out = async (everywhere: boolean) => {
    await signOut(everywhere);
    navigate("/signin");
  };

  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand">
          Algobacktester
        </NavLink>
        <button
          type="button"
          className="menu-button"
          aria-expanded={open}
          aria-controls="main-nav"
          onClick={() => setOpen(!open)}
        >
          Menu
        </button>
        <nav id="main-nav" className={open ? "nav open" : "nav"} aria-label="Main">
          {NAV.filter((n) => !n.staff || user.is_staff).map((n) => (
            <NavLink key={n.to} to={n.to} end={n.to === "/"} onClick={() => setOpen(false)}>
              {n.label}
            </NavLink>
          ))}
        </nav>
        <div className="user-menu">
          <span className={`live live-${live}`} title={`Live updates: ${live}`}>
            {live === "open" ? "● live" : live === "idle" ? "○ offline" : "◌ reconnecting"}
          </span>
          <span className="user-email">{user.email}</span>
          <button type="button" onClick={() => void out(false)}>
            Sign out
          </button>
          <button type="button" className="link" onClick={() => void out(true)}>
            Sign out everywhere
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
      <Toasts />
    </div>
  );
}

/** A page's heading row: the title and its actions. */
export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="page-header">
      <h1>{title}</h1>
      {children && <div className="actions">{children}</div>}
    </div>
  );
}
