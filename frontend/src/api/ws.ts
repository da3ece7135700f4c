/**
 * The one `/ws/` socket of the page: authenticated by the access token (subprotocol
 * ["bearer", token]), re-authenticated after each token refresh, reconnected with
 * exponential back-off and jitter when it drops. Pages re-read their state over REST
 * after a reconnect (`onReconnect`), because events sent while it was down are lost.
 */
import { accessToken, authState, refresh, subscribeAuth } from "./auth";

export interface AppEvent {
  type: string;
  ts?: string;
  data?: Record<string, unknown>;
  [key: string]: unknown;
}

export type SocketStatus = "idle" | "connecting" | "open" | "reconnecting";

const BASE_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;
const CLOSE_UNAUTHORIZED = 4401;

type Listener<T> = (value: T) => void;
const eventListeners = new Set<Listener<AppEvent>>();
const reconnectListeners = new Set<() => void>();
const statusListeners = new Set<Listener<SocketStatus>>();

let socket: WebSocket | null = null;
let status: SocketStatus = "idle";
let attempts = 0;
let everOpened = false;
let retryTimer: ReturnType<typeof setTimeout> | null = null;
let lastToken: string | null = null;
let started = false;

export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

function setStatus(next: SocketStatus): void {
  status = next;
  statusListeners.forEach((fn) => fn(next));
}

export function socketStatus(): SocketStatus {
  return status;
}

function url(): string {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}/ws/`;
}

function connect(): void {
  const token = accessToken();
  if (!token || socket) return;
  setStatus(everOpened ? "reconnecting" : "connecting");
  const ws = new WebSocket(url(), ["bearer", token]);
  socket = ws;
  lastToken = token;
  ws.onmessage = (msg) => onMessage(ws, msg);
  ws.onclose = (ev) => onClose(ws, ev);
}

function onMessage(ws: WebSocket, msg: MessageEvent): void {
  let body: { type?: string; event?: AppEvent };
  try {
    body = JSON.parse(String(msg.data)) as typeof body;
  } catch {
    return;
  }
  if (body.type === "auth.ok") {
    if (ws.readyState !== WebSocket.OPEN || status === "open") return;
    const wasReconnect = everOpened;
    everOpened = true;
    attempts = 0;
    setStatus("open");
    if (wasReconnect) reconnectListeners.forEach((fn) => fn());
  } else if (body.type === "event" && body.event) {
    const ev = body.event;
    eventListeners.forEach((fn) => fn(ev));
  }
}

function onClose(ws: WebSocket, ev: CloseEvent): void {
  if (socket !== ws) return;
  socket = null;
  if (authState().status !== "signedIn") {
    setStatus("idle");
    return;
  }
  setStatus("reconnecting");
  const wait = backoffDelay(attempts++);
  retryTimer = setTimeout(() => {
    retryTimer = null;
    // A refused token (expired or revoked) is refreshed first; a refused refresh signs out.
    if (ev.code === CLOSE_UNAUTHORIZED) void refresh().then((ok) => ok && connect());
    else connect();
  }, wait);
}

function stop(): void {
  if (retryTimer) clearTimeout(retryTimer);
  retryTimer = null;
  const ws = socket;
  socket = null;
  ws?.close(1000);
  everOpened = false;
  attempts = 0;
  setStatus("idle");
}

/** Follow the auth state: connect on sign-in, send a fresh token after a refresh, close on
 * sign-out. Called once by the app shell. */
export function startSocket(): () => void {
  if (started) return () => undefined;
  started = true;
  const follow = () => {
    const s = authState();
    if (s.status !== "signedIn") return stop();
    const token = accessToken();
    if (!socket && !retryTimer) return connect();
    if (socket && token && token !== lastToken && socket.readyState === WebSocket.OPEN) {
      lastToken = token;
      socket.send(JSON.stringify({ type: "auth", token }));
    }
  };
  follow();
  const unsubscribe = subscribeAuth(follow);
  return () => {
    unsubscribe();
    stop();
    started = false;
  };
}

export function onEvent(fn: Listener<AppEvent>): () => void {
  eventListeners.add(fn);
  return () => eventListeners.delete(fn);
}

export function onReconnect(fn: () => void): () => void {
  reconnectListeners.add(fn);
  return () => reconnectListeners.delete(fn);
}

export function onSocketStatus(fn: Listener<SocketStatus>): () => void {
  statusListeners.add(fn);
  return () => statusListeners.delete(fn);
}

/** Tests: drop the socket as a network failure would. */
export function dropSocketForTests(): void {
  socket?.close(4000);
}
