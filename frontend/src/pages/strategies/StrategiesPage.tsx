/** Strategies: search, the templates gallery (clone), import/export JSON, delete. */
import { useRef, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import {
  cloneTemplate,
  deleteStrategy,
  exportStrategy,
  importStrategy,
  listStrategies,
  listTemplates,
  type StrategyImport,
  type StrategyList,
  type Template,
} from "../../api/strategies";
import { ApiError } from "../../api/errors";
import { PageHeader } from "../../components/Layout";
import { DataTable } from "../../components/DataTable";
import { ErrorBanner, Spinner, TextInput } from "../../components/forms";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { Pager } from "../../components/Pager";
import { useAsync } from "../../lib/useAsync";
import { formatDateTime } from "../../lib/time";

const PAGE = 25;

export default function StrategiesPage() {
  const navigate = useNavigate();
  const [search, setSearch] = useState("");
  const [page, setPage] = useState(1);
  const list = useAsync(() => listStrategies({ search, page, page_size: PAGE }), [search, page]);
  const templates = useAsync(() => listTemplates(), []);
  const [error, setError] = useState<unknown>(null);
  const [doomed, setDoomed] = useState<StrategyList | null>(null);
  const [notice, setNotice] = useState("");
  const file = useRef<HTMLInputElement>(null);

  const run = async (fn: () => Promise<unknown>) => {
    setError(null);
    setNotice("");
    try {
      await fn();
    } catch (err) {
      setError(err);
    }
  };

  const clone = (t: Template) =>
    run(async () => {
      const s = await cloneUnique(t);
      navigate(`/strategies/${s.id}`);
    });

  const exportOne = (s: StrategyList) =>
    run(async () => {
      const doc = await exportStrategy(s.id);
      saveJson(doc, `${slug(s.name)}.strategy.json`);
    });

  const importFile = (f: File) =>
    run(async () => {
      let doc: StrategyImport;
      try {
        doc = JSON.parse(await f.text()) as StrategyImport;
      } catch {
        throw new Error(`${f.name} is not JSON: export a strategy here to see the format.`);
      }
      const s = await importStrategy(doc);
      setNotice(`Imported “${s.name}”.`);
      list.reload();
    });

  const remove = (s: StrategyList) =>
    run(async () => {
      setDoomed(null);
      await deleteStrategy(s.id);
      setNotice(`Deleted “${s.name}”.`);
      list.reload();
    });

  return (
    <div className="stack">
      <PageHeader title="Strategies">
        <button type="button" onClick={() => file.current?.click()}>
          Import JSON…
        </button>
        <input
          ref={file}
          type="file"
          accept="application/json,.json"
          hidden
          aria-label="Strategy JSON file"
          data-testid="import-file"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void importFile(f);
            e.target.value = "";
          }}
        />
        <Link className="button primary" to="/strategies/new">
          New strategy
        </Link>
      </PageHeader>
      <ErrorBanner error={error} />
      {notice && (
        <p className="banner banner-info" role="status">
          {notice}
        </p>
      )}
      <TextInput
        label="Search"
        type="search"
        value={search}
        placeholder="Name or description"
        onChange={(e) => {
          setSearch(e.target.value);
          setPage(1);
        }}
      />
      <ErrorBanner error={list.error} />
      {!list.data ? (
        <Spinner />
      ) : (
        <DataTable
          label="Strategies"
          rows={list.data.results}
          rowKey={(s) => s.id}
          empty={
            search
              ? "No strategy matches."
              : "No strategies yet: start from a template below or a blank one."
          }
          columns={[
            {
              header: "Name",
              cell: (s) => (
                <>
                  <Link to={`/strategies/${s.id}`}>{s.name}</Link>
                  {s.description && <div className="muted small">{s.description}</div>}
                </>
              ),
            },
            { header: "Version", cell: (s) => `v${s.version}` },
            { header: "Updated", cell: (s) => formatDateTime(s.updated_at) },
            {
              header: "Actions",
              cell: (s) => (
                <div className="row">
                  <Link to={`/strategies/${s.id}`}>Edit</Link>
                  <Link to={`/backtests/new?strategy=${s.id}`}>Backtest</Link>
                  <button type="button" className="link" onClick={() => void exportOne(s)}>
                    Export
                  </button>
                  <button type="button" className="link danger-text" onClick={() => setDoomed(s)}>
                    Delete
                  </button>
                </div>
              ),
            },
          ]}
        />
      )}
      {list.data && (
        <Pager page={page} pages={Math.ceil(list.data.count / PAGE)} onPage={setPage} />
      )}

      <section>
        <h2>Templates</h2>
        <ErrorBanner error={templates.error} />
        <div className="grid">
          {(templates.data ?? []).map((t) => (
            <article key={t.key} className="panel template">
              <h3>{t.name}</h3>
              <p className="muted">{t.description}</p>
              <button
                type="button"
                onClick={() => void clone(t)}
                aria-label={`Use template ${t.name}`}
              >
                Use this template
              </button>
            </article>
          ))}
        </div>
      </section>
      <ConfirmDialog
        open={doomed !== null}
        title="Delete this strategy?"
        message={`“${doomed?.name ?? ""}” and its versions will be deleted. Backtests that used it keep their copy.`}
        onCancel={() => setDoomed(null)}
        onConfirm={() => doomed && void remove(doomed)}
      />
    </div>
  );
}

/** Clone under the template's name, or "name (2)", "(3)"… when the user already has it. */
async function cloneUnique(t: Template) {
  for (let n = 1; ; n++) {
    try {
      return await cloneTemplate(t.key, n === 1 ? t.name : `${t.name} (${n})`);
    } catch (err) {
      if (!(err instanceof ApiError && err.fieldMessage("name") && n < 20)) throw err;
    }
  }
}

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "strategy"
  );
}

function saveJson(value: unknown, filename: string): void {
  const blob = new Blob([JSON.stringify(value, null, 2)], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
