import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../../api/errors";
import type { BrokerAccount } from "../../api/trades";

const listAccounts = vi.fn();
const accountTest = vi.fn();
vi.mock("../../api/trades", async (orig) => ({
  ...(await orig<typeof import("../../api/trades")>()),
  listAccounts: (...args: unknown[]) => listAccounts(...args) as unknown,
  accountTest: (...args: unknown[]) => accountTest(...args) as unknown,
}));

const { BrokerAccounts, tokenState } = await import("./BrokerAccounts");

afterEach(() => {
  cleanup();
  listAccounts.mockReset();
  accountTest.mockReset();
});

const dhan = {
  id: 3,
  name: "Dhan",
  broker: "dhan",
  status: "connected",
  trading_state: "active",
  state_reason: "",
  broker_client_hint: "4321",
  token_expires_at: "2099-11-30T10:00:00Z",
  funds: { availabelBalance: 250000 },
  ledger: null,
  capabilities: {},
} as unknown as BrokerAccount;

const page = (...accounts: BrokerAccount[]) => ({ count: accounts.length, results: accounts });

describe("Test connection", () => {
  it("shows the funds and the token's expiry, and re-reads the accounts", async () => {
    listAccounts.mockResolvedValue(page(dhan));
    accountTest.mockResolvedValueOnce(dhan);
    render(<BrokerAccounts />);
    fireEvent.click(await screen.findByRole("button", { name: "Test connection" }));
    expect(accountTest).toHaveBeenCalledWith(3);
    expect(await screen.findByText(/Connection OK/)).toHaveTextContent(
      /funds ₹2,50,000\.00; token expires 30 Nov 2099, 15:30\./,
    );
    await waitFor(() => expect(listAccounts).toHaveBeenCalledTimes(2));
  });

  it("shows the broker's refusal (409) and the account as expired after the reload", async () => {
    listAccounts.mockResolvedValueOnce(page(dhan));
    listAccounts.mockResolvedValue(page({ ...dhan, status: "token_expired" }));
    accountTest.mockRejectedValueOnce(
      new ApiError(409, {
        detail: "The broker refused the access token.",
        code: "credentials_refused",
        errors: [{ field: "credentials", message: "Refused by Dhan (DH-901)." }],
      }),
    );
    render(<BrokerAccounts />);
    fireEvent.click(await screen.findByRole("button", { name: "Test connection" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("The broker refused the access token.");
    expect(alert).toHaveTextContent("credentials: Refused by Dhan (DH-901).");
    expect(await screen.findByText("expired", { selector: ".badge" })).toBeInTheDocument();
    expect(screen.queryByText(/Connection OK/)).toBeNull();
  });
});

describe("tokenState", () => {
  const now = Date.parse("2026-11-30T08:00:00Z");
  const at = (iso: string | null) => ({ status: "connected" as const, token_expires_at: iso });
  it("is expired when refused or past, expiring within 2 h, fine otherwise", () => {
    expect(tokenState({ ...at("2026-12-01T00:00:00Z"), status: "token_expired" }, now)).toBe(
      "expired",
    );
    expect(tokenState(at("2026-11-30T07:59:00Z"), now)).toBe("expired");
    expect(tokenState(at("2026-11-30T09:30:00Z"), now)).toBe("expiring");
    expect(tokenState(at("2026-11-30T10:30:00Z"), now)).toBe("ok");
    expect(tokenState(at(null), now)).toBe("none");
  });
});
