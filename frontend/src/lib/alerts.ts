/**
 * In-app alerts: the user's `push` deliveries. "Unread" is what arrived after the newest
 * one the user marked read on this browser (kept in localStorage per user): the API keeps
 * no read flag. New pushes arrive live as `notification` events on /ws/.
 */
import { useCallback, useMemo, useState } from "react";
import { listDeliveries, type Delivery } from "../api/notifications";
import { useAsync } from "./useAsync";
import { useEvents, useReconnect } from "./useEvents";
import { useUser } from "./useAuth";

const key = (userId: number) => `algobacktester.alerts.read.${userId}`;

export function lastRead(userId: number): number {
  return Number(localStorage.getItem(key(userId)) ?? 0);
}

export function unreadOf(deliveries: Delivery[], readUpTo: number): Delivery[] {
  return deliveries.filter((d) => d.id > readUpTo);
}

export function useAlerts(): {
  unread: Delivery[];
  error: unknown;
  markAllRead: () => void;
} {
  const user = useUser();
  const [readUpTo, setReadUpTo] = useState(() => lastRead(user.id));
  const list = useAsync(() => listDeliveries({ channel: "push", page_size: 20 }), []);
  useReconnect(list.reload);
  useEvents(() => list.reload(), ["notification"]);
  const deliveries = useMemo(() => list.data?.results ?? [], [list.data]);
  const markAllRead = useCallback(() => {
    const top = Math.max(readUpTo, ...deliveries.map((d) => d.id));
    localStorage.setItem(key(user.id), String(top));
    setReadUpTo(top);
  }, [deliveries, readUpTo, user.id]);
  return { unread: unreadOf(deliveries, readUpTo), error: list.error, markAllRead };
}
