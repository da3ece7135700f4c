/**
 * The one typed client of the documented API (types generated from docs/openapi.yaml into
 * schema.d.ts by `npm run gen`, so an API change that breaks the UI fails `tsc`).
 * Every request carries the in-memory access token; a 401 triggers one refresh and one
 * retry, then the signed-out state.
 */
import createClient from "openapi-fetch";
import type { paths } from "./schema";
import { accessToken, refresh } from "./auth";
import { ApiError } from "./errors";

async function authFetch(input: Request): Promise<Response> {
  const retry = input.clone();
  const res = await fetch(withToken(input));
  if (res.status !== 401 || !accessToken()) return res;
  if (!(await refresh())) return res;
  return fetch(withToken(retry));
}

function withToken(request: Request): Request {
  const token = accessToken();
  if (token) request.headers.set("Authorization", `Bearer ${token}`);
  return request;
}

// Absolute, so a Request resolves the same in the browser and under test (jsdom).
const ORIGIN = typeof location !== "undefined" ? location.origin : "";

export const api = createClient<paths>({ baseUrl: ORIGIN, fetch: authFetch });

/** The data of an openapi-fetch result, or an ApiError carrying the server's message. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new ApiError(response.status, error);
  return data as T;
}

/** A raw authenticated fetch for what openapi-fetch does not model (CSV downloads). */
export async function fetchAuthed(url: string, init?: RequestInit): Promise<Response> {
  const res = await authFetch(new Request(new URL(url, ORIGIN || undefined), init));
  if (!res.ok) {
    const body: unknown = await res.json().catch(() => null);
    throw new ApiError(res.status, body);
  }
  return res;
}

export type { paths, components } from "./schema";

/** The query parameters of a GET path, exactly as the schema types them. */
export type Query<P extends keyof paths> = paths[P] extends {
  get: { parameters: { query?: infer Q } };
}
  ? NonNullable<Q>
  : never;
