import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { authState, refreshDelay, resetAuthForTests, signIn } from "./auth";
import { api, unwrap } from "./client";
import { ApiError } from "./errors";

const session = (access: string) => ({
  access,
  access_expires: new Date(Date.now() + 15 * 60_000).toISOString(),
  user: {
    id: 1,
    email: "a@example.com",
    name: "A",
    phone: "",
    timezone: "Asia/Kolkata",
    date_joined: "",
    is_staff: false,
  },
});

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

describe("the API client's authentication", () => {
  let calls: { url: string; auth: string | null }[];

  beforeEach(() => {
    calls = [];
    document.cookie = "csrftoken=tok";
    resetAuthForTests();
  });
  afterEach(() => vi.unstubAllGlobals());

  it("refreshes once on a 401 and retries the request with the new token", async () => {
    const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const req =
        input instanceof Request
          ? input
          : new Request(new URL(String(input), location.origin), init);
      const url = new URL(req.url, "http://x").pathname;
      calls.push({ url, auth: req.headers.get("Authorization") });
      if (url === "/api/auth/session") return json(200, session("old"));
      if (url === "/api/auth/session/refresh") return json(200, session("new"));
      return req.headers.get("Authorization") === "Bearer new"
        ? json(200, { id: 1, email: "a@example.com" })
        : json(401, { detail: "Token expired", code: "token_not_valid" });
    });
    vi.stubGlobal("fetch", fetchMock);
    await signIn("a@example.com", "pw");
    const me = await unwrap(api.GET("/api/auth/me"));
    expect(me.email).toBe("a@example.com");
    expect(calls.map((c) => [c.url, c.auth])).toEqual([
      ["/api/auth/session", null],
      ["/api/auth/me", "Bearer old"],
      ["/api/auth/session/refresh", null],
      ["/api/auth/me", "Bearer new"],
    ]);
  });

  it("signs out, saying why, when the refresh is refused", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
        const req =
          input instanceof Request
            ? input
            : new Request(new URL(String(input), location.origin), init);
        const url = new URL(req.url, "http://x").pathname;
        if (url === "/api/auth/session") return json(200, session("old"));
        return json(401, { detail: "Refresh token has been revoked.", code: "token_revoked" });
      }),
    );
    await signIn("a@example.com", "pw");
    await expect(unwrap(api.GET("/api/auth/me"))).rejects.toBeInstanceOf(ApiError);
    expect(authState()).toEqual({
      status: "signedOut",
      reason: "Your session ended. Sign in again to continue.",
    });
  });

  it("schedules the refresh shortly before expiry", () => {
    expect(refreshDelay(15 * 60_000, 0)).toBe(14 * 60_000); // a minute early
    expect(refreshDelay(60_000, 0)).toBe(45_000); // a quarter early for short tokens
    expect(refreshDelay(1_000, 0)).toBe(5_000); // never a tight loop
  });
});
