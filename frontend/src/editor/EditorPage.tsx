/**
 * The strategy editor (`/strategies/new`, `/strategies/:id`): a React Flow canvas of the
 * graph document with a palette, typed ports, a parameter inspector, risk settings,
 * validation shown on the nodes, versions with diffs, and undo/redo. Loaded lazily: React
 * Flow stays out of the first bundle.
 */
import "@xyflow/react/dist/style.css";
import "./editor.css";

import { ReactFlowProvider } from "@xyflow/react";
import { useParams } from "react-router-dom";

import { ErrorBanner, Spinner } from "../components/forms";
import { PageHeader } from "../components/Layout";
import { useAsync } from "../lib/useAsync";
import { loadIndicators, loadStrategy, type Strategy } from "./api";
import { Editor } from "./Editor";
import { emptyDoc, normaliseGraph, type IndicatorEntry } from "./types";

interface Loaded {
  indicators: IndicatorEntry[];
  strategy: Strategy | null;
}

export default function EditorPage() {
  const { id } = useParams();
  const strategyId = id === undefined ? null : Number(id);
  const bad = strategyId !== null && !(Number.isInteger(strategyId) && strategyId > 0);
  const loaded = useAsync<Loaded>(
    () =>
      bad
        ? Promise.reject(new Error(`'${id ?? ""}' is not a strategy id.`))
        : Promise.all([
            loadIndicators(),
            strategyId === null ? null : loadStrategy(strategyId),
          ]).then(([indicators, strategy]) => ({ indicators, strategy })),
    [id],
  );

  if (loaded.error)
    return (
      <>
        <PageHeader title="Strategy editor" />
        <ErrorBanner error={loaded.error} />
      </>
    );
  if (!loaded.data || loaded.loading) return <Spinner label="Loading the editor…" />;
  const s = loaded.data.strategy;
  return (
    <ReactFlowProvider>
      <Editor
        key={s ? `${s.id}` : "new"}
        strategyId={s?.id ?? null}
        initialName={s?.name ?? "New strategy"}
        initialDescription={s?.description ?? ""}
        initialDoc={s ? normaliseGraph(s.graph) : emptyDoc()}
        initialVersion={s?.version ?? 0}
        indicators={loaded.data.indicators}
      />
    </ReactFlowProvider>
  );
}
