// A small client for the REST API: health, sign-in, backtests with their equity curve,
// strategies, and the /ws/ event stream. Tokens live in sessionStorage only.
"use strict";
const store = window.sessionStorage;
const $ = (id) => document.getElementById(id);

async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json" };
  const access = store.getItem("access");
  if (access) headers.Authorization = `Bearer ${access}`;
  const response = await fetch(`/api${path}`, { ...options, headers });
  const body = response.status === 204 ? null : await response.json();
  if (!response.ok) throw new Error(body && body.detail ? body.detail : response.statusText);
  return body;
}

function text(tag, value, className) {
  const node = document.createElement(tag);
  node.textContent = value;
  if (className) node.className = className;
  return node;
}

function pct(value) {
  return value === null || value === undefined ? "–" : `${value.toFixed(2)}%`;
}

async function showHealth() {
  const list = $("health-list");
  let body;
  try { body = await api("/health"); } catch (error) { body = null; }
  list.replaceChildren();
  if (!body) { list.append(text("li", "some components are down", "down")); return; }
  for (const [name, c] of Object.entries(body.components)) list.append(text("li", `${name}: ${c.status}`, c.status));
}

async function showBacktests() {
  const page = await api("/backtest?page_size=20");
  const rows = $("backtest-rows");
  rows.replaceChildren();
  for (const run of page.results) {
    const tr = document.createElement("tr");
    const ret = run.return_pct;
    tr.append(text("td", run.id), text("td", `${run.strategy_name} v${run.version}`), text("td", `${run.symbol} ${run.timeframe}`),
      text("td", `${run.start} → ${run.end}`), text("td", run.status),
      text("td", pct(ret), ret === null ? "" : ret >= 0 ? "pos" : "neg"));
    tr.addEventListener("click", () => showResult(run.id));
    rows.append(tr);
  }
  $("backtests").hidden = false;
  const firstDone = page.results.find((r) => r.status === "done");
  if (firstDone) await showResult(firstDone.id);
}

const STATS = [["return_pct", "Return", pct], ["buy_hold_return_pct", "Buy & hold", pct], ["cagr_pct", "CAGR", pct],
  ["sharpe", "Sharpe", (v) => (v ?? 0).toFixed(2)], ["max_drawdown_pct", "Max drawdown", pct], ["trades", "Trades", String],
  ["win_rate_pct", "Win rate", pct], ["profit_factor", "Profit factor", (v) => (v ?? 0).toFixed(2)],
  ["total_charges", "Charges", (v) => `₹${(v ?? 0).toLocaleString("en-IN", { maximumFractionDigits: 0 })}`],
  ["equity_final", "Final equity", (v) => `₹${(v ?? 0).toLocaleString("en-IN", { maximumFractionDigits: 0 })}`]];

async function showResult(id) {
  const run = await api(`/backtest/${id}`); // trades are paged at /backtest/{id}/trades
  $("result-title").textContent = `#${run.id} ${run.strategy_name} v${run.version} on ${run.symbol} — ${run.status}`;
  const stats = $("stats");
  stats.replaceChildren();
  if (run.stats) for (const [key, label, fmt] of STATS) stats.append(text("dt", label), text("dd", fmt(run.stats[key])));
  if (run.error) stats.append(text("dt", "Error"), text("dd", run.error, "error"));
  if (run.no_trades_reason) stats.append(text("dt", "No trades"), text("dd", run.no_trades_reason, "error"));
  drawEquity(run.equity_curve || []);
  $("result").hidden = false;
}

function drawEquity(points) {
  const svg = $("equity");
  svg.replaceChildren();
  if (points.length < 2) return;
  const values = points.map((p) => p[1]);
  const lo = Math.min(...values), hi = Math.max(...values), span = hi - lo || 1;
  const coords = values.map((v, i) => `${(i / (values.length - 1)) * 800},${210 - ((v - lo) / span) * 200}`);
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("points", coords.join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", values[values.length - 1] >= values[0] ? "#2a7a2a" : "#b00020");
  line.setAttribute("stroke-width", "1.5");
  svg.append(line);
}

async function showStrategies() {
  const page = await api("/strategies?page_size=50");
  const list = $("strategy-list");
  list.replaceChildren();
  for (const s of page.results) list.append(text("li", `${s.name} (v${s.version})`));
  $("strategies").hidden = false;
}

function listen() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws/`, ["bearer", store.getItem("access")]);
  socket.onmessage = (message) => {
    $("events").prepend(text("li", message.data));
    const data = JSON.parse(message.data);
    if (data.type === "event" && data.event.type.startsWith("backtest.") && data.event.type !== "backtest.progress") showBacktests();
  };
  $("live").hidden = false;
}

async function showAccount() {
  try {
    const me = await api("/auth/me");
    $("me-email").textContent = me.email;
    $("login").hidden = true;
    $("account").hidden = false;
    await Promise.all([showBacktests(), showStrategies()]);
    listen();
  } catch (error) { store.clear(); }
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    const tokens = await api("/auth/login", { method: "POST", body: JSON.stringify(Object.fromEntries(form)) });
    store.setItem("access", tokens.access);
    store.setItem("refresh", tokens.refresh);
    await showAccount();
  } catch (error) { $("login-error").textContent = error.message; }
});

$("logout").addEventListener("click", async () => {
  try { await api("/auth/logout", { method: "POST", body: JSON.stringify({ refresh: store.getItem("refresh") }) }); }
  finally { store.clear(); location.reload(); }
});

showHealth();
if (store.getItem("access")) showAccount();
