import { useCallback, useEffect, useRef, useSyncExternalStore } from "react";
import {
  onEvent,
  onReconnect,
  onSocketStatus,
  socketStatus,
  type AppEvent,
  type SocketStatus,
} from "../api/ws";

/** Call `handler` for every `/ws/` event of the user (optionally only of some types). */
export function useEvents(handler: (ev: AppEvent) => void, types?: string[]): void {
  const ref = useRef(handler);
  useEffect(() => {
    ref.current = handler;
  });
  const key = types?.join(",") ?? "";
  useEffect(() => {
    const wanted = key ? new Set(key.split(",")) : null;
    return onEvent((ev) => {
      if (!wanted || wanted.has(ev.type)) ref.current(ev);
    });
  }, [key]);
}

/** Re-read a page's state after the socket comes back (events in the gap were lost). */
export function useReconnect(reload: () => void): void {
  const ref = useRef(reload);
  useEffect(() => {
    ref.current = reload;
  });
  useEffect(() => onReconnect(() => ref.current()), []);
}

export function useSocketStatus(): SocketStatus {
  return useSyncExternalStore(onSocketStatus, socketStatus, socketStatus);
}

/** `fn`, called at most once per `ms`: the first call runs after `ms`, later calls within that
 * wait join it. For pages that re-read over REST on a stream of events (a replay's steps). */
export function useThrottled(fn: () => void, ms: number): () => void {
  const ref = useRef(fn);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    ref.current = fn;
  });
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  return useCallback(() => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      ref.current();
    }, ms);
  }, [ms]);
}
