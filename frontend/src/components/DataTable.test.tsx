import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DataTable } from "./DataTable";
import { GroupChooser } from "./GroupChooser";

afterEach(cleanup);

describe("DataTable", () => {
  const rows = [
    { id: 1, name: "EMA", pnl: 10 },
    { id: 2, name: "ORB", pnl: -5 },
  ];
  const columns = [
    { header: "Name", cell: (r: (typeof rows)[0]) => r.name },
    { header: "P&L", num: true, cell: (r: (typeof rows)[0]) => r.pnl },
  ];

  it("draws one row per item with numeric columns aligned", () => {
    render(
      <DataTable
        label="Runs"
        rows={rows}
        columns={columns}
        rowKey={(r) => r.id}
        rowProps={(r) => ({ "data-run": r.id })}
        empty="none"
      />,
    );
    const table = screen.getByRole("table", { name: "Runs" });
    const body = within(table).getAllByRole("row").slice(1);
    expect(body.map((r) => r.textContent)).toEqual(["EMA10", "ORB-5"]);
    expect(body[1]).toHaveAttribute("data-run", "2");
    expect(within(body[0]!).getAllByRole("cell")[1]).toHaveClass("num");
  });

  it("shows the empty state instead of an empty table", () => {
    render(
      <DataTable label="Runs" rows={[]} columns={columns} rowKey={() => 0} empty="No runs yet." />,
    );
    expect(screen.queryByRole("table")).toBeNull();
    expect(screen.getByText("No runs yet.")).toHaveClass("empty");
  });
});

describe("GroupChooser", () => {
  it("checks the chosen view and reports another", () => {
    const onChange = vi.fn();
    render(
      <GroupChooser
        views={["weekday", "hour"] as const}
        value="weekday"
        onChange={onChange}
        text={(v) => (v === "hour" ? "hour of entry" : v)}
      />,
    );
    const group = screen.getByRole("radiogroup", { name: "Group trades by" });
    expect(within(group).getByLabelText("by weekday")).toBeChecked();
    fireEvent.click(within(group).getByLabelText("by hour of entry"));
    expect(onChange).toHaveBeenCalledWith("hour");
  });
});
