/** The trading pages' own tabs: orders, positions, analytics. */
import { NavLink } from "react-router-dom";
import "./trades.css";

export function TradesNav() {
  return (
    <nav className="row trades-nav" aria-label="Trading">
      <NavLink to="/trades" end>
        Orders
      </NavLink>
      <NavLink to="/trades/positions">Positions</NavLink>
      <NavLink to="/trades/analytics">Analytics</NavLink>
      <NavLink to="/settings">Accounts</NavLink>
    </nav>
  );
}
