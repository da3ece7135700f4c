import { useCallback, useEffect, useRef, useState } from "react";

export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Run `load` on mount and whenever `deps` (plain values) change; `reload()` runs it again
 * (after a mutation or a /ws/ reconnect) keeping the old data on screen meanwhile. An
 * answer to an outdated call is dropped. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): AsyncState<T> {
  const [tick, setTick] = useState(0);
  const [result, setResult] = useState<{ key: string | null; data?: T; error: unknown }>({
    key: null,
    error: null,
  });
  const loadRef = useRef(load);
  useEffect(() => {
    loadRef.current = load;
  });
  const key = `${JSON.stringify(deps)}#${tick}`;

  useEffect(() => {
    let live = true;
    loadRef.current().then(
      (data) => live && setResult({ key, data, error: null }),
      (error: unknown) => live && setResult((r) => ({ key, data: r.data, error })),
    );
    return () => {
      live = false;
    };
  }, [key]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: result.data, error: result.error, loading: result.key !== key, reload };
}
