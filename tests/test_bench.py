"""The benchmarks keep working: `bench/run.py --quick` runs every section at small sizes
and exits non-zero when a correctness check fails (a trace reaching other nodes than the
hand-written recursive SQL, a recall list that differs from the trace, a `verify()` that
finds a problem). Speed is measured by `make bench`, not here."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BACKEND

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.skipif(BACKEND != "sqlite", reason="the benchmarks run on SQLite files")
def test_the_quick_benchmarks_pass_their_correctness_checks(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["rows"], "no figures written"
