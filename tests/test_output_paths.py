"""Every file a command writes: a path that cannot be written is refused, never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import Cli

import tracelot
from tracelot.services.spreadsheet_columns import EXPORTS

CLI_SOURCES = Path(tracelot.__file__).parent / "cli"

#: each command that writes a file, with FILE where the path goes
WRITERS = [
    ("label", "PCB:B1", "--out", "FILE.pdf"),
    ("label", "PCB:B1", "--png", "FILE.png"),
    ("label", "PCB:B1", "--svg", "FILE.svg"),
    ("label", "WH", "PCB:B1", "--layout", "sheet", "--out", "FILE.pdf"),
    ("label", "PCB:B1", "--zpl", "FILE.zpl"),
    ("trace", "backward", "DEV:D1", "--svg", "FILE.svg"),
    ("trace", "forward", "CELL@L1", "--svg", "FILE.png"),
    ("report", "turnover", "--chart", "FILE.png"),
    ("report", "abc", "--chart", "FILE.svg"),
    ("report", "level", "CELL", "--chart", "FILE.png"),
    ("report", "expiring", "--within", "9999d", "--chart", "FILE.png"),
    *[("export", kind, "--out", "FILE.csv") for kind in EXPORTS],
    ("export", "items", "--format", "xlsx", "--out", "FILE.xlsx"),
    ("export", "ledger", "--format", "json", "--out", "FILE.json", "--json"),
    ("epcis", "export", "--out", "FILE.jsonld"),
    ("recall", "notify-list", "1", "--csv", "FILE.csv"),
    ("recall", "notices", "1", "--out", "FILE"),
    ("backup", "FILE.db"),
]


@pytest.fixture
def recalled(shipped_world: Cli) -> Cli:
    out = shipped_world("recall", "open", "--supplier", "CELLCO", "--supplier-lot", "CC-9",
                        "--reason", "cell swelling")  # fmt: skip
    assert out.exit_code == 0, out.stderr
    return shipped_world


@pytest.mark.parametrize("args", WRITERS, ids=lambda args: " ".join(args[:3]))
def test_a_path_that_cannot_be_written_is_refused_by_name_and_reason(
    recalled: Cli, tmp_path: Path, args: tuple[str, ...]
) -> None:
    blocker = tmp_path / "plain-file"  # a file where a directory would have to be
    blocker.write_text("not a directory")
    (path,) = [a.replace("FILE", str(blocker / "out")) for a in args if "FILE" in a]
    out = recalled(*[a.replace("FILE", str(blocker / "out")) for a in args])
    assert out.exit_code == 1, out.stdout
    assert out.stderr.splitlines()[-1] == f"error: cannot write {path}: Not a directory"
    assert "Traceback" not in out.stderr
    # the same command writes where it can
    fine = recalled(*[a.replace("FILE", str(tmp_path / "out")) for a in args])
    assert fine.exit_code == 0, fine.stderr
    assert Path(path.replace(str(blocker / "out"), str(tmp_path / "out"))).exists()


def test_a_directory_given_as_the_file_is_refused(recalled: Cli, tmp_path: Path) -> None:
    out = recalled("label", "PCB:B1", "--out", str(tmp_path))
    assert out.exit_code == 1
    assert out.stderr.strip() == f"error: cannot write {tmp_path}: Is a directory"


def test_every_file_the_command_line_writes_goes_through_its_one_helper() -> None:
    """cli/common.py's write_output and output_file are the only writers; a command that
    writes a file some other way would give a traceback for a path it cannot write."""
    writing = re.compile(r"\.write_bytes\(|\.write_text\(|\.open\([^)]*[\"'][wax]b?[\"']|\bopen\(")
    found = [
        f"{source.name}:{number}: {line.strip()}"
        for source in sorted(CLI_SOURCES.glob("*.py"))
        if source.name != "common.py"
        for number, line in enumerate(source.read_text().splitlines(), 1)
        if writing.search(line) and not line.lstrip().startswith("#")
    ]
    allowed = {"operations.py"}  # reads a build plan: `plan.open(newline=..., encoding=...)`
    assert [f for f in found if f.split(":")[0] not in allowed] == []
