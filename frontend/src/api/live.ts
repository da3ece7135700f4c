/** Live and paper sessions (docs/live.md): create, control, the log and the orders. */
import { api, unwrap } from "./client";
import type { components } from "./schema";

export type Session = components["schemas"]["Session"];
export type SessionCreate = components["schemas"]["SessionCreateRequest"];
export type SessionEvent = components["schemas"]["SessionEvent"];
export type SessionOrder = components["schemas"]["SessionOrder"];
export type SessionStatus = components["schemas"]["LiveSessionStatusEnum"];
export type SessionEventKind = components["schemas"]["LiveSessionEventKindEnum"];
export type SessionAction = "start" | "pause" | "stop" | "square-off";

const sess = (id: number) => ({ path: { session_id: String(id) } });

export function listSessions(query: { status?: SessionStatus; page?: number } = {}) {
  return unwrap(api.GET("/api/live/sessions", { params: { query: { page_size: 50, ...query } } }));
}

export function getSession(id: number) {
  return unwrap(api.GET("/api/live/sessions/{session_id}", { params: sess(id) }));
}

export function createSession(body: SessionCreate) {
  return unwrap(api.POST("/api/live/sessions", { body }));
}

export function deleteSession(id: number) {
  return unwrap(api.DELETE("/api/live/sessions/{session_id}", { params: sess(id) }));
}

/** One control call; each answers the session as it now is (409 when the state forbids it). */
export function controlSession(id: number, action: SessionAction) {
  const p = { params: sess(id) };
  switch (action) {
    case "start":
      return unwrap(api.POST("/api/live/sessions/{session_id}/start", p));
    case "pause":
      return unwrap(api.POST("/api/live/sessions/{session_id}/pause", p));
    case "stop":
      return unwrap(api.POST("/api/live/sessions/{session_id}/stop", p));
    case "square-off":
      return unwrap(api.POST("/api/live/sessions/{session_id}/square-off", p));
  }
}

export function listSessionEvents(
  id: number,
  query: { kind?: SessionEventKind; page?: number; page_size?: number } = {},
) {
  return unwrap(
    api.GET("/api/live/sessions/{session_id}/events", {
      params: { ...sess(id), query: { page_size: 50, ...query } },
    }),
  );
}

export function listSessionOrders(id: number, page = 1) {
  return unwrap(
    api.GET("/api/live/sessions/{session_id}/orders", {
      params: { ...sess(id), query: { page, page_size: 50 } },
    }),
  );
}

export type DriftReport = components["schemas"]["DriftReport"];

/** The day's drift report (the session's last day when `day` is left out); 404 on `day` for
 * a day the session ran no bar on. */
export function getSessionDrift(id: number, day?: string) {
  return unwrap(
    api.GET("/api/live/sessions/{session_id}/drift", {
      params: { ...sess(id), query: day ? { day } : {} },
    }),
  );
}
