import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { Inspector } from "../Inspector";
import { Palette } from "../Palette";
import { catalogue, emaCross } from "./fixtures";

afterEach(cleanup);

describe("Palette", () => {
  it("searches the catalogue and adds an item when pressed", () => {
    const onAdd = vi.fn();
    render(<Palette indicators={[...catalogue.values()]} onAdd={onAdd} open onToggle={() => {}} />);
    fireEvent.change(screen.getByTestId("palette-search"), { target: { value: "macd" } });
    expect(screen.queryByTestId("palette-ind-EMA")).toBeNull();
    fireEvent.click(screen.getByTestId("palette-ind-MACD"));
    expect(onAdd).toHaveBeenCalledWith({ kind: "indicator", params: { indicator: "MACD" } });
  });

  it("collapses to one button", () => {
    const onToggle = vi.fn();
    render(<Palette indicators={[]} onAdd={() => {}} open={false} onToggle={onToggle} />);
    expect(screen.queryByTestId("palette-search")).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "+ Add node" }));
    expect(onToggle).toHaveBeenCalled();
  });
});

describe("Inspector", () => {
  const doc = emaCross();
  const cond = doc.nodes.find((n) => n.id === "cond_1")!;
  const entry = doc.nodes.find((n) => n.id === "go_long_1")!;

  it("changing the op brings that op's parameters", () => {
    const onParams = vi.fn();
    render(
      <Inspector
        doc={doc}
        node={cond}
        catalogue={catalogue}
        problems={[]}
        onParams={onParams}
        onWire={() => {}}
        onDelete={() => {}}
      />,
    );
    fireEvent.change(screen.getByTestId("param-op"), { target: { value: "rising" } });
    expect(onParams).toHaveBeenCalledWith({ op: "rising", n: 3 }, "param:cond_1.op");
  });

  it("offers only outputs of the input's type for wiring", () => {
    const onWire = vi.fn();
    render(
      <Inspector
        doc={doc}
        node={entry}
        catalogue={catalogue}
        problems={[
          { node: "go_long_1", field: "inputs.when", message: "oops", code: "invalid_graph" },
        ]}
        onParams={() => {}}
        onWire={onWire}
        onDelete={() => {}}
      />,
    );
    const select = screen.getByTestId("wire-when") as HTMLSelectElement;
    const options = [...select.options].map((o) => o.value);
    expect(options).toEqual(["", "cond_1.out"]);
    expect(screen.getByText("inputs.when: oops")).toBeTruthy();
    fireEvent.change(select, { target: { value: "" } });
    expect(onWire).toHaveBeenCalledWith("when", null);
  });

  it("shows a number out of range beside the field", () => {
    const ema = doc.nodes[0]!;
    render(
      <Inspector
        doc={doc}
        node={ema}
        catalogue={catalogue}
        problems={[]}
        onParams={() => {}}
        onWire={() => {}}
        onDelete={() => {}}
      />,
    );
    fireEvent.change(screen.getByTestId("param-timeperiod"), { target: { value: "0" } });
    expect(screen.getByRole("alert").textContent).toBe("must be between 1 and 100000");
  });
});
