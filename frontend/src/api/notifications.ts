/** Alert rules, deliveries, preferences, phone verification. */
import { api, unwrap, type Query } from "./client";
import type { components } from "./schema";

export type Rule = components["schemas"]["RuleOutput"];
export type RuleInput = components["schemas"]["RuleInputRequest"];
export type RulePatch = components["schemas"]["PatchedRuleUpdateInputRequest"];
export type Delivery = components["schemas"]["DeliveryOutput"];
export type Preferences = components["schemas"]["PreferencesOutput"];
export type Channel = components["schemas"]["NotificationChannelEnum"];
export type AlertSent = components["schemas"]["AlertSendOutput"];
export type EventType = components["schemas"]["NotificationEventTypeEnum"];

export const CHANNELS: Channel[] = ["push", "email", "sms", "webhook"];
export const EVENT_TYPES: { value: EventType; label: string }[] = [
  { value: "backtest.finished", label: "Backtest finished" },
  { value: "backtest.failed", label: "Backtest failed" },
  { value: "order.filled", label: "Order filled" },
  { value: "order.rejected", label: "Order rejected" },
  { value: "live.guardrail", label: "Live guardrail hit" },
  { value: "ingestion.failed", label: "Ingestion failed (operators)" },
];

export function listRules() {
  return unwrap(api.GET("/api/notifications/rules", { params: { query: { page_size: 100 } } }));
}

export function createRule(body: RuleInput) {
  return unwrap(api.POST("/api/notifications/rules", { body }));
}

export function updateRule(id: number, body: RulePatch) {
  return unwrap(
    api.PATCH("/api/notifications/rules/{rule_id}", {
      params: { path: { rule_id: String(id) } },
      body,
    }),
  );
}

export function deleteRule(id: number) {
  return unwrap(
    api.DELETE("/api/notifications/rules/{rule_id}", { params: { path: { rule_id: String(id) } } }),
  );
}

export function listDeliveries(query: Query<"/api/notifications/history"> = {}) {
  return unwrap(
    api.GET("/api/notifications/history", { params: { query: { page_size: 50, ...query } } }),
  );
}

export function getPreferences() {
  return unwrap(api.GET("/api/notifications/preferences"));
}

export function updatePreferences(body: components["schemas"]["PatchedPreferencesInputRequest"]) {
  return unwrap(api.PATCH("/api/notifications/preferences", { body }));
}

/** Step 1 (no code): text a code to `phone`; step 2 (with code): confirm it. */
export function verifyPhone(phone: string, code?: string) {
  return unwrap(
    api.POST("/api/notifications/preferences/phone/verify", {
      body: code ? { phone, code } : { phone },
    }),
  );
}

/** Send now (202 with its deliveries); the same endpoint creates a rule without `message`. */
export async function sendTestAlert(channels: Channel[], message: string): Promise<AlertSent> {
  const res = await unwrap(
    api.POST("/api/notifications/alerts", {
      body: { message, channels, subject: "Test alert" },
    }),
  );
  if (!("deliveries" in res)) throw new Error("The server created a rule instead of sending.");
  return res;
}
