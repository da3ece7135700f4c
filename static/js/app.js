// A small client for the API: health, sign-in, and the /ws/ event stream.
"use strict";
const store = window.sessionStorage;

async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json" };
  const access = store.getItem("access");
  if (access) headers.Authorization = `Bearer ${access}`;
  const response = await fetch(`/api${path}`, { ...options, headers });
  const body = response.status === 204 ? null : await response.json();
  if (!response.ok) throw new Error(body && body.detail ? body.detail : response.statusText);
  return body;
}

async function showHealth() {
  const list = document.getElementById("health-list");
  let body;
  try { body = await api("/health"); } catch (error) { body = null; }
  if (!body) { list.innerHTML = "<li class='down'>some components are down</li>"; return; }
  list.innerHTML = Object.entries(body.components)
    .map(([name, c]) => `<li class="${c.status}">${name}: ${c.status}</li>`).join("");
}

function listen() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws/`, ["bearer", store.getItem("access")]);
  socket.onmessage = (message) => {
    const item = document.createElement("li");
    item.textContent = message.data;
    document.getElementById("events").prepend(item);
  };
}

async function showAccount() {
  try {
    const me = await api("/auth/me");
    document.getElementById("me-email").textContent = me.email;
    document.getElementById("login").hidden = true;
    document.getElementById("account").hidden = false;
    listen();
  } catch (error) { store.clear(); }
}

document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    const tokens = await api("/auth/login", { method: "POST", body: JSON.stringify(Object.fromEntries(form)) });
    store.setItem("access", tokens.access);
    store.setItem("refresh", tokens.refresh);
    await showAccount();
  } catch (error) { document.getElementById("login-error").textContent = error.message; }
});

document.getElementById("logout").addEventListener("click", async () => {
  try { await api("/auth/logout", { method: "POST", body: JSON.stringify({ refresh: store.getItem("refresh") }) }); }
  finally { store.clear(); location.reload(); }
});

showHealth();
if (store.getItem("access")) showAccount();
