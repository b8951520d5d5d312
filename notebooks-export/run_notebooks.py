#!/usr/bin/env python3
"""Execute the notebooks headless against a results file and check their figures.

    python notebooks-export/run_notebooks.py --results results.h5 --out notebooks-export/out

For each notebook (default: paper-figures and sweep-explorer) this runs every cell with
nbclient, writes the executed copy to OUT/<name>.ipynb and the figures (PNG and SVG) to
OUT. It exits non-zero if a cell raises, if the results file is missing, or if a figure
the notebook must produce for this results file is missing or empty (or not a PNG / SVG).

The notebooks read their settings from the environment; this script sets TTCG_RESULTS,
TTCG_FIG_DIR and TTCG_NOTEBOOKS_DIR, and passes any EXPLORER_* variables through.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOTEBOOKS = {"paper": "paper-figures.ipynb", "explorer": "sweep-explorer.ipynb"}


def slug(name: str) -> str:
    return "".join(c if (c.isalnum() or c in "._+-") else "_" for c in name)


def expected_figures(results: Path, which: str) -> list[str]:
    """The figure names (without extension) a notebook must write for this results file."""
    if which == "explorer":
        return ["explorer_line", "explorer_heatmap", "explorer_providers"]
    import h5py
    import json
    import numpy as np
    names: list[str] = []
    with h5py.File(results, "r") as f:
        markets = [m.decode() if isinstance(m, bytes) else str(m) for m in f.attrs["markets"]]
        groups = [g.decode() if isinstance(g, bytes) else str(g) for g in f.attrs["market_groups"]]
        for market, group in zip(markets, groups):
            names.append(f"fig1_value_vs_compute_{slug(market)}")
            g = f[group.strip("/")]
            if "trajectories" not in g or len(g["trajectories"]["point"]) == 0:
                continue
            # Figure 2 is expected when a trajectory exists at beta = 1000 and the published
            # margin and alpha (the axis values closest to the market's own).
            mj = json.loads(g.attrs["market_json"])
            shape = tuple(len(g[a]) for a in ("beta", "margin", "alpha", "v0", "value_curve", "seed",
                                              "rule", "order", "start", "tolerance", "max_rounds"))
            beta, margin, alpha = g["beta"][()], g["margin"][()], g["alpha"][()]
            mi = int(np.argmin(np.abs(margin - float(mj.get("margin", 0.25)))))
            ai = int(np.argmin(np.abs(alpha - float(mj["alpha"]))))
            first = int(g.attrs["first_point"])
            for p in g["trajectories"]["point"][()]:
                ix = np.unravel_index(int(p) - first, shape)
                if np.isclose(beta[ix[0]], 1000.0) and ix[1] == mi and ix[2] == ai:
                    names.append(f"fig2_dynamics_beta1000_{slug(market)}")
                    break
    names += ["fig1_value_vs_compute_all", "inefficiency_vs_beta", "inefficiency_vs_beta_by_dataset",
              "table2_market_vs_auction", "poa_heatmap_beta1000"]
    return names


def check_figures(out: Path, names: list[str]) -> list[str]:
    problems = []
    for name in names:
        for ext in ("png", "svg"):
            p = out / f"{name}.{ext}"
            if not p.is_file():
                problems.append(f"missing {p}")
                continue
            data = p.read_bytes()
            if not data:
                problems.append(f"empty {p}")
            elif ext == "png" and (not data.startswith(b"\x89PNG\r\n\x1a\n") or len(data) < 1000):
                problems.append(f"not a plausible PNG: {p} ({len(data)} bytes)")
            elif ext == "svg" and b"<svg" not in data[:4000]:
                problems.append(f"not an SVG: {p}")
    return problems


def execute(path: Path, out: Path, timeout: int, kernel: str) -> str | None:
    """Run one notebook; write the executed copy to OUT. Returns an error text or None."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel,
                            resources={"metadata": {"path": str(HERE)}})
    error = None
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as e:
        error = str(e)
    except Exception as e:          # kernel died, could not start, ...
        error = f"{type(e).__name__}: {e}"
    finally:
        nbformat.write(nb, out / path.name)
    return error


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", default=os.environ.get("TTCG_RESULTS", str(HERE.parent / "results.h5")),
                    help="results file (default: $TTCG_RESULTS or the repository's results.h5)")
    ap.add_argument("--out", default=str(HERE / "out"),
                    help="where the executed notebooks and figures go (default notebooks-export/out)")
    ap.add_argument("--only", choices=sorted(NOTEBOOKS), action="append",
                    help="run only this notebook (repeatable); default both")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    ap.add_argument("--kernel", default="python3", help="Jupyter kernel name (default python3)")
    args = ap.parse_args(argv)

    results = Path(args.results).resolve()
    out = Path(args.out).resolve()
    if not results.is_file():
        print(f"run_notebooks: no results file {results}; make one with `make run` "
              "or `ttcg run SPEC --out FILE`", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    os.environ.update(TTCG_RESULTS=str(results), TTCG_FIG_DIR=str(out), TTCG_NOTEBOOKS_DIR=str(HERE))

    failed = False
    for which in args.only or ["paper", "explorer"]:
        nb_path = HERE / NOTEBOOKS[which]
        names = expected_figures(results, which)
        for name in names:                       # stale figures must not pass the check
            for ext in ("png", "svg"):
                (out / f"{name}.{ext}").unlink(missing_ok=True)
        t0 = time.monotonic()
        error = execute(nb_path, out, args.timeout, args.kernel)
        took = time.monotonic() - t0
        if error:
            failed = True
            print(f"FAIL {nb_path.name} ({took:.1f} s): a cell raised; executed copy in {out / nb_path.name}\n{error}",
                  file=sys.stderr)
            continue
        problems = check_figures(out, names)
        if problems:
            failed = True
            print(f"FAIL {nb_path.name} ({took:.1f} s): " + "; ".join(problems), file=sys.stderr)
        else:
            print(f"ok   {nb_path.name} ({took:.1f} s): {len(names)} figures x PNG+SVG in {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
