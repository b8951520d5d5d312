"""Fixtures: a small results file made by the real `ttcg run` (binary from $TTCG_BIN)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent                       # notebooks-export/
SPEC = HERE / "small.yaml"

sys.path.insert(0, str(PACKAGE))


def ttcg_bin() -> str:
    """The ttcg binary from $TTCG_BIN; fails the tests with a clear message otherwise."""
    path = os.environ.get("TTCG_BIN", "").strip()
    if not path:
        pytest.fail("TTCG_BIN is not set: the notebooks-export tests run the real ttcg binary. "
                    "Build it (`swift build -c release`) and run e.g. "
                    "`TTCG_BIN=$(swift build -c release --show-bin-path)/ttcg pytest notebooks-export/tests`, "
                    "or `make test`.", pytrace=False)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"TTCG_BIN={path} is not an executable file; point it at the built ttcg binary "
                    "(`swift build -c release --show-bin-path`)/ttcg.", pytrace=False)
    return path


def run(*args: str) -> subprocess.CompletedProcess:
    cmd = [ttcg_bin(), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail(f"`{' '.join(cmd)}` exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}", pytrace=False)
    return proc


@pytest.fixture(scope="session")
def small_results(tmp_path_factory) -> Path:
    """A results file of tests/small.yaml: 3 markets, 168 games, trajectories at beta 1000."""
    out = tmp_path_factory.mktemp("ttcg") / "small.h5"
    run("run", str(SPEC), "--out", str(out), "--force")
    return out


@pytest.fixture(scope="session")
def small_export(small_results, tmp_path_factory) -> Path:
    """`ttcg export --format csv` of the small results: the reference for the tidy frames."""
    out = tmp_path_factory.mktemp("export") / "small.csv"
    run("export", str(small_results), "--format", "csv", "--out", str(out), "--force")
    return out


@pytest.fixture()
def res(small_results):
    import ttcg_results as tr
    r = tr.load(small_results)
    yield r
    r.close()
