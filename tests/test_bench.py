"""The benchmarks keep working: `bench/run.py --quick` runs every section at small sizes
and exits non-zero when a correctness check fails (a trace reaching other nodes than the
hand-written recursive SQL, a recall list that differs from the trace, a `verify()` that
finds a problem). Speed is measured by `make bench`, not here."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BACKEND, PG_URL
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

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


@pytest.mark.slow
@pytest.mark.skipif(BACKEND != "postgresql", reason="the scale bench runs on PostgreSQL")
def test_the_scale_bench_builds_its_plant_and_measures_it(tmp_path: Path, worker_id: str) -> None:
    """bench/scale.py at three work orders on the test server: the plant is what it says
    (28 units and 5 builds a device), the ledger verifies, and every figure is written."""
    devices = 3_000
    name = f"{make_url(PG_URL).database}_scale_{worker_id}"  # this run's and worker's own
    try:
        done = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "scale.py"), "--units", str(devices),
             "--pg", PG_URL, "--database", name, "--rebuild", "--out", str(tmp_path)],
            capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip
    finally:
        admin = create_engine(make_url(PG_URL).set(database="postgres"),
                              isolation_level="AUTOCOMMIT")  # fmt: skip
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads((tmp_path / f"scale-{devices}.json").read_text())
    assert result["counts"]["units"] == 28 * devices
    assert result["counts"]["builds"] == 5 * devices
    assert set(result["built_seconds"]) >= {"receive", "put away", "build", "ship", "re-slot"}
    assert result["built_seconds"]["re-slot"] > 0
    figures = result["figures"]
    assert figures["verify"]["ok"] is True
    assert figures["forward trace of supplier lot RS-0001 (JSON Lines)"]["rows"] > devices
    assert figures["recall open on supplier lot RS-0001"]["affected"] > devices
    assert len(figures) == 10
