"""schemathesis against the OpenAPI document of a real `tracelot serve`: thousands of
generated requests, valid and not, through every route an admin may call, with all of
schemathesis's checks. None gets a 5xx; every answer's status, content type, headers and
body are the ones the document declares; data the schema forbids is refused, and data it
allows is accepted; 405 answers name the methods; a route that needs credentials
refuses requests without them. Afterwards the ledger still verifies."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import Cli, serving

import tracelot

CHECKS = ["all"]
#: Where data the schema allows may still be refused with 422: JSON Schema cannot say
#: that a unit is already at the destination, that a period ends after it starts, that a
#: serial-tracked item's build needs a serial, that a scan's check digit is right, that
#: an idempotency key was used for another request, that a password has 12 characters...
#: These are the operations that write, the look-ups of a reference or scan, and the
#: reports whose parameters depend on each other. Lists and the other reports stay
#: strict: what their schema allows (sort fields, days, enums), they answer.
LOOKUPS = (
    r"^/api/v1/(asns/|history|items/|lots/|pick|reports/(abc|level|reorder|turnover)"
    r"|stock\.csv|trace/|units/|where"
    r"|logistic-units/|operations/\{operation\}/slip)"  # issue 20: an SSCC, a shipment
)
ACCEPTED = '["2xx", "401", "403", "404", "409", "422"]'
CONFIG = f"""
[[operations]]
include-method = ["POST", "PATCH"]
checks.positive_data_acceptance.expected-statuses = {ACCEPTED}

[[operations]]
include-path-regex = '{LOOKUPS}'
checks.positive_data_acceptance.expected-statuses = {ACCEPTED}
"""
#: revoking tokens and disabling or demoting users would lock the fuzzer itself out; the
#: permission-table test calls these routes. A receipt or an import as a job does its work
#: after the answer: thousands of generated ones (receipts of up to 2,000,000 serials)
#: would keep the server busy long after the run; tests/test_jobs.py calls them, and their
#: bodies are the operations' and imports' models, fuzzed here at /operations/receive and
#: /imports/{kind}
LOCKOUT = r"/tokens/\{token_id\}|/users/\{name\}/|/jobs/(receive|imports)"


def test_generated_requests_get_declared_answers_and_never_a_5xx(
    setup_basics: Cli, db_url: str, tmp_path: Path
) -> None:
    cli = setup_basics
    for args in [
        ("receive", "PCB", "--to", "A1", "--serials", "SN0001..SN0020"),
        ("receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "100"),
        ("receive", "SCREW", "--to", "A1", "--qty", "1000"),
        ("recall", "open", "PCB:SN0001", "--reason", "fuzz"),
    ]:
        assert cli(*args).exit_code == 0
    with tracelot.connect(db_url) as tl:
        tl.add_user("fuzzer", role="admin")
        token = tl.create_token("fuzzer")["token"]

    (tmp_path / "schemathesis.toml").write_text(CONFIG)
    # each request on PostgreSQL is several round trips to the server: fewer examples
    # there keep the suite's time (the SQLite run covers the same routes with more)
    examples = "15" if db_url.startswith("sqlite") else "6"
    with serving(db_url, tmp_path / "serve.log") as base:
        run = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "run",
                f"{base}/api/v1/openapi.json",
                "--header",
                f"Authorization: Bearer {token}",
                "--checks",
                ",".join(CHECKS),
                "--exclude-path-regex",
                LOCKOUT,
                "--max-examples",
                os.environ.get("TRACELOT_FUZZ_EXAMPLES", examples),
                # a loaded 2-core machine answers a request slowly now and then: slow is
                # not wrong (the benchmarks measure speed), but a minute is (a recall
                # extended by one REF named thousands of times took 11 s: found here)
                "--request-timeout",
                "120",
                "--max-response-time",
                "60",
                "--seed",
                os.environ.get("TRACELOT_FUZZ_SEED", "20261201"),
                "--workers",
                "1",
                "--no-color",
            ],  # fmt: skip
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=1500,
        )
    (tmp_path / "schemathesis.out").write_text(run.stdout + run.stderr)  # the whole story
    if os.environ.get("TRACELOT_FUZZ_OUT"):
        Path(os.environ["TRACELOT_FUZZ_OUT"]).write_text(run.stdout + run.stderr)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    selected, tested = (re.search(rf"{w}: (\d+)/?", run.stdout)[1] for w in ("Selected", "Tested"))
    assert int(tested) == int(selected) >= 40, run.stdout[-3000:]  # every route was reached
    with tracelot.connect(db_url) as tl:
        assert tl.verify().ok
