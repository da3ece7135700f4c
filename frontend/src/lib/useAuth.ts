import { useSyncExternalStore } from "react";
import { authState, subscribeAuth, type AuthState, type User } from "../api/auth";

/** The auth state, re-rendering on sign-in, refresh failure and sign-out. */
export function useAuth(): AuthState {
  return useSyncExternalStore(subscribeAuth, authState, authState);
}

/** The signed-in user; only under <RequireAuth>, which renders nothing else. */
export function useUser(): User {
  const s = useAuth();
  if (s.status !== "signedIn") throw new Error("useUser outside a signed-in page");
  return s.user;
}
