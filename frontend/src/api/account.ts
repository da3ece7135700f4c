/** The signed-in user's profile, password and logins. */
import { api, unwrap } from "./client";
import type { components } from "./schema";

export type LoginSession = components["schemas"]["LoginSessionOutput"];
export type ProfilePatch = components["schemas"]["PatchedProfileUpdateRequest"];

export function updateProfile(body: ProfilePatch) {
  return unwrap(api.PATCH("/api/auth/me", { body }));
}

export function changePassword(current_password: string, new_password: string) {
  return unwrap(api.POST("/api/auth/password", { body: { current_password, new_password } }));
}

export function listSessions() {
  return unwrap(api.GET("/api/auth/sessions"));
}

export function endSession(sid: string) {
  return unwrap(api.DELETE("/api/auth/sessions/{sid}", { params: { path: { sid } } }));
}
