/**
 * Every route of the app. Pages load lazily, so the first load carries only the shell; the
 * editor (React Flow) and the charts (lightweight-charts) arrive with the pages that use them.
 * Paths here must stay answered by Django's SPA view (algobacktester/urls.py).
 */
import { lazy, Suspense, type ComponentType, type LazyExoticComponent } from "react";
import { createBrowserRouter, type RouteObject } from "react-router-dom";
import { Layout } from "../components/Layout";
import { Spinner } from "../components/forms";
import { RequireAuth } from "./RequireAuth";
import { RouteError } from "./RouteError";

const page = (C: LazyExoticComponent<ComponentType>) => (
  <Suspense fallback={<Spinner />}>
    <C />
  </Suspense>
);

const SignIn = lazy(() => import("../pages/auth/SignInPage"));
const SignUp = lazy(() => import("../pages/auth/SignUpPage"));
const Dashboard = lazy(() => import("../pages/dashboard/DashboardPage"));
const Editor = lazy(() => import("../editor/EditorPage"));
const Sweeps = lazy(() => import("../pages/sweeps/SweepsPage"));
const SweepDetail = lazy(() => import("../pages/sweeps/SweepDetailPage"));
const NotFound = lazy(() => import("../pages/NotFoundPage"));
const Strategies = lazy(() => import("../pages/strategies/StrategiesPage"));
const Backtests = lazy(() => import("../pages/backtests/BacktestsPage"));
const NewBacktest = lazy(() => import("../pages/backtests/NewBacktestPage"));
const Backtest = lazy(() => import("../pages/backtests/BacktestPage"));
const Compare = lazy(() => import("../pages/backtests/ComparePage"));
const Alerts = lazy(() => import("../pages/alerts/AlertsPage"));
const Settings = lazy(() => import("../pages/settings/SettingsPage"));
const MarketData = lazy(() => import("../pages/marketdata/MarketDataPage"));
const Orders = lazy(() => import("../pages/trades/OrdersPage"));
const Positions = lazy(() => import("../pages/trades/PositionsPage"));
const Live = lazy(() => import("../pages/live/LivePage"));
const LiveSession = lazy(() => import("../pages/live/SessionPage"));
const TradeAnalytics = lazy(() => import("../pages/trades/AnalyticsPage"));

export const routes: RouteObject[] = [
  { path: "/signin", element: page(SignIn), errorElement: <RouteError /> },
  { path: "/signup", element: page(SignUp), errorElement: <RouteError /> },
  {
    path: "/",
    element: (
      <RequireAuth>
        <Layout />
      </RequireAuth>
    ),
    errorElement: <RouteError />,
    children: [
      { index: true, element: page(Dashboard) },
      { path: "strategies", element: page(Strategies) },
      { path: "strategies/new", element: page(Editor) },
      { path: "strategies/:id", element: page(Editor) },
      { path: "backtests", element: page(Backtests) },
      { path: "backtests/new", element: page(NewBacktest) },
      { path: "backtests/:id", element: page(Backtest) },
      { path: "compare", element: page(Compare) },
      { path: "trades", element: page(Orders) },
      { path: "trades/positions", element: page(Positions) },
      { path: "trades/analytics", element: page(TradeAnalytics) },
      { path: "live", element: page(Live) },
      { path: "live/:id", element: page(LiveSession) },
      { path: "alerts", element: page(Alerts) },
      { path: "settings", element: page(Settings) },
      { path: "marketdata", element: page(MarketData) },
      { path: "sweeps", element: page(Sweeps) },
      { path: "sweeps/:id", element: page(SweepDetail) },
      { path: "*", element: page(NotFound) },
    ],
  },
];

export function makeRouter() {
  return createBrowserRouter(routes);
}
