"""``python -m engine.tests.golden [--update] [--force]``: check or regenerate the golden files.

Without ``--update`` it prints the differences and exits 1 when there are any. With
``--update`` it rewrites the fixtures, but refuses (exit 1) to replace *different* results
while ``ENGINE_VERSION`` still equals the version the fixture was made with: a change of
results is a new engine version. ``--force`` overrides that (e.g. a fixture never released).
"""

from __future__ import annotations

import argparse
import sys

from engine import ENGINE_VERSION
from engine.tests.golden import DATASETS, compute, differences, dumps, fixture_path, load_fixture


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.tests.golden", description=__doc__)
    parser.add_argument("--update", action="store_true", help="rewrite the fixtures")
    parser.add_argument("--force", action="store_true", help="rewrite even without a new version")
    args = parser.parse_args(argv)
    status = 0
    for dataset in DATASETS:
        fresh = compute(dataset)
        if fresh is None:
            print(f"{dataset}: data not found; fixture left as it is", file=sys.stderr)
            continue
        old = load_fixture(dataset)
        diffs = differences(old["results"], fresh["results"]) if old else ["no fixture yet"]
        same_version = old is not None and old["engine_version"] == ENGINE_VERSION
        if not diffs and same_version:
            print(f"{dataset}: unchanged (engine {ENGINE_VERSION})")
            continue
        for line in diffs[:20]:
            print(f"{dataset}: {line}", file=sys.stderr)
        if not args.update:
            status = 1
            continue
        if diffs and old is not None and same_version and not args.force:
            print(
                f"{dataset}: results changed but ENGINE_VERSION is still {ENGINE_VERSION}; "
                "bump it (engine/__init__.py) and say why in docs/engine.md",
                file=sys.stderr,
            )
            status = 1
            continue
        fixture_path(dataset).write_text(dumps(fresh) + "\n")
        print(f"{dataset}: written for engine {ENGINE_VERSION}")
    return status


if __name__ == "__main__":
    sys.exit(main())
