/** Trading: broker accounts, orders placed once, positions, analytics (docs/trades.md). */
import { api, unwrap } from "./client";
import type { components } from "./schema";

export type BrokerAccount = components["schemas"]["BrokerAccount"];
export type ConnectRequest = components["schemas"]["BrokerAccountConnectRequest"];
export type Order = components["schemas"]["Order"];
export type ExecutedOrder = components["schemas"]["ExecutedOrder"];
export type OrderDetail = components["schemas"]["OrderDetail"];
export type ExecuteRequest = components["schemas"]["ExecuteRequest"];
export type Position = components["schemas"]["Position"];
export type SquareOffRequest = components["schemas"]["SquareOffRequest"];
export type TradeAnalytics = components["schemas"]["Analytics"];
export type AnalyticsGroup = components["schemas"]["AnalyticsGroup"];
export type OrderStatus = components["schemas"]["OrderStatusEnum"];
export type OrderType = components["schemas"]["OrderTypeEnum"];
export type Product = components["schemas"]["ProductEnum"];
export type Side = components["schemas"]["OrderSideEnum"];

const acct = (id: number) => ({ path: { account_id: String(id) } });
const ord = (id: number) => ({ path: { order_id: String(id) } });

export function listAccounts() {
  return unwrap(api.GET("/api/trades/accounts", { params: { query: { page_size: 100 } } }));
}

/** One account as stored (its state, funds snapshot and token expiry); this does not call
 * the broker: new credentials (updateAccount) do. */
export function getAccount(id: number) {
  return unwrap(api.GET("/api/trades/accounts/{account_id}", { params: acct(id) }));
}

export function connectAccount(body: ConnectRequest) {
  return unwrap(api.POST("/api/trades/accounts", { body }));
}

/** New credentials reconnect an account: the broker is asked (funds) before they are kept. */
export function updateAccount(
  id: number,
  body: components["schemas"]["PatchedBrokerAccountUpdateRequest"],
) {
  return unwrap(api.PATCH("/api/trades/accounts/{account_id}", { params: acct(id), body }));
}

export function deleteAccount(id: number) {
  return unwrap(api.DELETE("/api/trades/accounts/{account_id}", { params: acct(id) }));
}

export function haltAccount(id: number, reason = "", reducing = false) {
  return unwrap(
    api.POST("/api/trades/accounts/{account_id}/halt", {
      params: acct(id),
      body: { reason, reducing },
    }),
  );
}

export function resumeAccount(id: number) {
  return unwrap(api.POST("/api/trades/accounts/{account_id}/resume", { params: acct(id) }));
}

/** Test the stored credentials at the broker (its funds call): the account as it now is
 * (status, funds, token expiry); 409 credentials_refused marks it token_expired. */
export function accountTest(id: number) {
  return unwrap(api.POST("/api/trades/accounts/{account_id}/test", { params: acct(id) }));
}

/** Place one order. The key makes a repeated submission (double click, retry) answer the
 * first order instead of placing another. */
export function executeOrder(body: ExecuteRequest, idempotencyKey: string) {
  return unwrap(
    api.POST("/api/trades/execute", {
      body,
      params: { header: { "Idempotency-Key": idempotencyKey } },
    }),
  );
}

export function listOrders(query: { account?: number; status?: OrderStatus; page?: number } = {}) {
  return unwrap(api.GET("/api/trades", { params: { query: { page_size: 50, ...query } } }));
}

export function getOrder(id: number) {
  return unwrap(api.GET("/api/trades/{order_id}", { params: ord(id) }));
}

export function cancelOrder(id: number) {
  return unwrap(api.POST("/api/trades/{order_id}/cancel", { params: ord(id) }));
}

export function listPositions(query: { account?: number; closed?: boolean } = {}) {
  return unwrap(
    api.GET("/api/trades/positions", { params: { query: { page_size: 200, ...query } } }),
  );
}

export function squareOff(body: SquareOffRequest) {
  return unwrap(api.POST("/api/trades/positions/square-off", { body }));
}

export function getTradeAnalytics(query: { account?: number } = {}) {
  return unwrap(api.GET("/api/trades/analytics", { params: { query } }));
}
