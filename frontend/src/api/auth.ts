/**
 * Browser sign-in (docs/adr/0013): the access token lives in this module's memory only;
 * the refresh token is an httpOnly cookie on /api/auth/session that script never reads.
 * A refresh is scheduled shortly before the access token expires, and runs one at a
 * time across tabs (Web Locks) because each refresh rotates the shared cookie.
 */
import { ApiError } from "./errors";
import type { components } from "./schema";

export type User = components["schemas"]["UserOutput"];
type Session = components["schemas"]["SessionOutput"];
export type RegisterInput = components["schemas"]["RegisterInputRequest"];

export type AuthState =
  | { status: "loading" }
  | { status: "signedOut"; reason?: string }
  | { status: "signedIn"; user: User };

const MAX_MARGIN_MS = 60_000;
const MIN_DELAY_MS = 5_000;

let state: AuthState = { status: "loading" };
let access: string | null = null;
let timer: ReturnType<typeof setTimeout> | null = null;
let inflight: Promise<boolean> | null = null;
const listeners = new Set<(s: AuthState) => void>();

export function authState(): AuthState {
  return state;
}

export function subscribeAuth(fn: (s: AuthState) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function setState(next: AuthState): void {
  state = next;
  listeners.forEach((fn) => fn(next));
}

export function accessToken(): string | null {
  return access;
}

/** The value Django's CSRF check wants echoed in X-CSRFToken (its cookie is not httpOnly). */
export async function csrfToken(): Promise<string> {
  const found = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
  if (found) return decodeURIComponent(found.slice("csrftoken=".length));
  const res = await fetch("/api/auth/session/csrf", { credentials: "same-origin" });
  const body = (await res.json()) as { csrf_token: string };
  return body.csrf_token;
}

async function sessionPost(path: string, body?: unknown): Promise<Response> {
  return fetch(`/api/auth/session${path}`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": await csrfToken() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

function adopt(session: Session): void {
  access = session.access;
  setState({ status: "signedIn", user: session.user });
  schedule(new Date(session.access_expires).getTime());
}

function schedule(expiresAt: number): void {
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => void refresh(), refreshDelay(expiresAt, Date.now()));
}

/** Refresh a quarter of the remaining lifetime (at most a minute) before expiry. */
export function refreshDelay(expiresAt: number, now: number): number {
  const left = expiresAt - now;
  return Math.max(MIN_DELAY_MS, left - Math.min(MAX_MARGIN_MS, left / 4));
}

function drop(reason?: string): void {
  access = null;
  if (timer) clearTimeout(timer);
  timer = null;
  setState(reason ? { status: "signedOut", reason } : { status: "signedOut" });
}

async function readError(res: Response): Promise<never> {
  const body: unknown = await res.json().catch(() => null);
  throw new ApiError(res.status, body);
}

export async function signIn(email: string, password: string): Promise<User> {
  const res = await sessionPost("", { email, password });
  if (!res.ok) return readError(res);
  const session = (await res.json()) as Session;
  adopt(session);
  return session.user;
}

export async function signUp(input: RegisterInput): Promise<User> {
  const res = await sessionPost("/register", input);
  if (!res.ok) return readError(res);
  const session = (await res.json()) as Session;
  adopt(session);
  return session.user;
}

/** Rotate the cookie for a new access token. False (and signed out) when the server
 * refuses it: the login was ended elsewhere, or it expired. */
export function refresh(): Promise<boolean> {
  if (!inflight) {
    inflight = withLock(doRefresh).finally(() => {
      inflight = null;
    });
  }
  return inflight;
}

async function doRefresh(): Promise<boolean> {
  const wasSignedIn = state.status === "signedIn";
  let res: Response;
  try {
    res = await sessionPost("/refresh");
  } catch {
    // The network, not the login, failed: keep the state and try again shortly.
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void refresh(), 10_000);
    return access !== null;
  }
  if (res.status === 401 || res.status === 403) {
    drop(wasSignedIn ? "Your session ended. Sign in again to continue." : undefined);
    return false;
  }
  if (!res.ok) {
    // Throttled or the server is down: the login may still be good; try again shortly.
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void refresh(), 10_000);
    return access !== null;
  }
  adopt((await res.json()) as Session);
  return true;
}

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  if (!locks) return fn();
  return locks.request("algobacktester-refresh", fn) as Promise<T>;
}

export async function signOut(everywhere = false): Promise<void> {
  try {
    await sessionPost("/logout", { everywhere });
  } finally {
    drop(everywhere ? "Signed out on every device." : "Signed out.");
  }
}

/** On page load: a cookie from an earlier visit signs the user straight back in. */
export async function restoreSession(): Promise<void> {
  if (!(await refresh())) drop();
}

/** The server already ended this login (password change): drop it here, saying why. */
export function forgetSession(reason: string): void {
  drop(reason);
}

/** Tests only: forget everything without calling the server. */
export function resetAuthForTests(): void {
  drop();
  setState({ status: "loading" });
}

/** Profile changes (name, timezone) seen by the whole app without a refresh. */
export function updateUser(user: User): void {
  if (state.status === "signedIn") setState({ status: "signedIn", user });
}
