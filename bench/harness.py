"""Shared pieces of the benchmarks: timing, result rows with their targets, the table.

Every figure is a `Row`: what tracelot took, what a baseline took (measured in the same
process, or a quoted constant such as InvenTree's figures), and the targets the issues
set. A missed speed target is reported (MISSED), never raised; a failed correctness
check (`Context.check`) makes the run exit non-zero.
"""

from __future__ import annotations

import gc
import os
import random
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tracelot

# -- timing -------------------------------------------------------------------------------


@dataclass
class Stats:
    """Per-call times (seconds) of a repeated call."""

    times: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    @property
    def n(self) -> int:
        return len(self.times)


def once(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Run `fn` once; (seconds, its result). The garbage collector is kept out of the way."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        out = fn()
        return time.perf_counter() - start, out
    finally:
        gc.enable()


def repeat(fn: Callable[[Any], Any], args: list[Any], *, warmup: int = 3) -> tuple[Stats, list]:
    """Call `fn(arg)` for each arg, timing each call; the first `warmup` calls (on the first
    args, again) are not counted. Returns the stats and the results."""
    for arg in args[:warmup]:
        fn(arg)
    gc.collect()
    times, results = [], []
    for arg in args:
        start = time.perf_counter()
        results.append(fn(arg))
        times.append(time.perf_counter() - start)
    return Stats(times), results


# -- rows, targets ------------------------------------------------------------------------


@dataclass
class Target:
    """`max_s`: tracelot's figure at most this many seconds; `max_ratio`: tracelot at most
    this multiple of the baseline; `min_speedup`: the baseline at least this multiple of
    tracelot (tracelot that many times faster)."""

    kind: str
    value: float

    def met(self, row: Row) -> bool | None:
        if self.kind == "max_s":
            return row.value <= self.value
        if row.baseline is None:
            return None
        if self.kind == "max_ratio":
            return row.value <= self.value * row.baseline
        return row.baseline >= self.value * row.value

    def __str__(self) -> str:
        if self.kind == "max_s":
            return f"< {fmt_s(self.value)}"
        if self.kind == "max_ratio":
            return f"<= {self.value:g}x baseline"
        return f">= {self.value:g}x faster"


@dataclass
class Row:
    section: str
    issue: str
    name: str
    value: float  # seconds (the median, for repeated calls)
    how: str = "once"  # "once", or "median of N"
    p95: float | None = None
    baseline: float | None = None
    baseline_name: str = ""
    targets: list[Target] = field(default_factory=list)
    note: str = ""
    wrong: bool = False  # a correctness check on this figure failed

    @property
    def status(self) -> str:
        if self.wrong:
            return "WRONG"
        results = [t.met(self) for t in self.targets]
        if not results:
            return "-"
        if any(r is False for r in results):
            return "MISSED"
        return "ok"

    def ratio_text(self) -> str:
        if self.baseline is None or self.value <= 0 or self.baseline <= 0:
            return ""
        if self.value >= self.baseline:
            return f"{self.value / self.baseline:.2f}x slower"
        return f"{self.baseline / self.value:.1f}x faster"

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "issue": self.issue,
            "name": self.name,
            "seconds": self.value,
            "how": self.how,
            "p95_seconds": self.p95,
            "baseline_seconds": self.baseline,
            "baseline": self.baseline_name,
            "ratio": (self.value / self.baseline) if self.baseline else None,
            "targets": [str(t) for t in self.targets],
            "status": self.status,
            "note": self.note,
        }


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms" if seconds < 0.1 else f"{seconds * 1e3:.0f} ms"
    if seconds >= 100:
        return f"{seconds:.0f} s ({seconds / 60:.1f} min)"
    return f"{seconds:.2f} s"


# -- the run's context --------------------------------------------------------------------


@dataclass
class Context:
    quick: bool
    db_dir: Path
    seed: int = 20240601
    rows: list[Row] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    info: dict[str, dict[str, Any]] = field(default_factory=dict)
    shared: dict[str, Any] = field(default_factory=dict)  # fixtures reused across sections
    options: dict[str, Any] = field(default_factory=dict)  # section options from the flags
    section: str = ""
    issue: str = ""

    def rng(self, salt: str) -> random.Random:
        return random.Random(f"{self.seed}:{salt}")

    def row(self, name: str, value: float, **kwargs: Any) -> Row:
        row = Row(self.section, self.issue, name, value, **kwargs)
        self.rows.append(row)
        say(
            f"  {name}: {fmt_s(value)}"
            + (f" (baseline {fmt_s(row.baseline)})" if row.baseline is not None else "")
            + f"  [{row.status}]"
        )
        return row

    def repeated(self, name: str, stats: Stats, **kwargs: Any) -> Row:
        return self.row(name, stats.median, how=f"median of {stats.n}", p95=stats.p95, **kwargs)

    def note(self, key: str, value: Any) -> None:
        self.info.setdefault(self.section, {})[key] = value
        say(f"  {key}: {value}")

    def check(self, ok: bool, what: str, row: Row | None = None) -> bool:
        """A correctness check: a failure is reported and makes the run exit non-zero."""
        if not ok:
            self.failures.append(f"[{self.section}] {what}")
            say(f"  CHECK FAILED: {what}")
            if row is not None:
                row.wrong = True
        return ok

    def db_path(self, name: str) -> Path:
        """A fresh SQLite file (and no WAL or shared-memory leftovers) in the db dir."""
        path = self.db_dir / f"{name}.db"
        remove_db(path)
        return path


def say(text: str) -> None:
    print(text, flush=True)


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def connect(path: Path) -> tracelot.Tracelot:
    return tracelot.connect(f"sqlite:///{path}", user="bench")


def fresh(ctx: Context, name: str) -> tuple[Path, tracelot.Tracelot]:
    """A new, migrated tracelot database in the db dir."""
    path = ctx.db_path(name)
    tl = connect(path)
    tl.init()
    return path, tl


#: whether the raw sqlite3 baselines check the tables' foreign keys, as tracelot's own
#: connections do (`run.py --baseline-foreign-keys`); by default they do not, the
#: stricter comparison
BASELINE_FOREIGN_KEYS = False


@contextmanager
def raw(path: Path, *, wal: bool = True) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection (autocommit; explicit BEGIN/COMMIT) with tracelot's
    pragmas: WAL and synchronous=NORMAL, so that baselines pay the same durability."""
    conn = sqlite3.connect(path, isolation_level=None)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    if BASELINE_FOREIGN_KEYS:
        conn.execute("PRAGMA foreign_keys = ON")
    try:
        yield conn
    finally:
        conn.close()


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model, "memory": mem}
