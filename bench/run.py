"""tracelot's benchmarks, measured in-process through the Python API (`make bench`).

    .venv/bin/python bench/run.py [--quick] [--only NAME[,NAME]] [--db-dir DIR]

Each figure is set against a baseline: a plain sqlite3 equivalent run in the same process
on the same machine, or a figure quoted in the issues (InvenTree's). Results go to
bench/out/results.json (and results.md) and a table on standard output. A missed target
prints MISSED; only a failed correctness check (such as a trace reaching other nodes than
the recursive SQL) makes the run exit non-zero. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import api_load
import control
import counts
import flow
import foundation
import harness
import interchange
import inventree
import jobs
import orders
import packing
import scanning
import sqlalchemy
import startup
import tracing
import voids
from harness import Context, Row, fmt_s, machine, say

HERE = Path(__file__).resolve().parent

#: name, issue, title, function
SECTIONS: list[tuple[str, str, str, Callable[[Context], None]]] = [
    ("receive", "2", "A.1 receive a million serials in one command", foundation.receive),
    ("lookup", "2", "A.2 look-ups at a million units", foundation.lookup),
    ("ship", "2", "A.3 ship 1,000 serials in one operation", foundation.ship),
    ("inventree", "2 and 3", "A.4 and B.4 the InvenTree workload", inventree.run),
    ("trace", "3 and 24", "B.1-3 traces and a recall on a 200,000-build plant", tracing.run),
    ("scan", "4", "C.1 resolve scans at a million units", scanning.run),
    ("scan-command", "22", "C.2 tracelot scan --json as a whole command", scanning.whole_command),
    ("api", "6", "D.1 scan-and-move over HTTP", api_load.run),
    ("control", "5", "E.1 turnover and reorder over a million moves", control.run),
    ("import", "8", "F.1 import 100,000 serial rows of opening stock", interchange.run),
    ("epcis", "8", "F.2 EPCIS export and import of a history", interchange.run_epcis),
    ("startup", "17", "G.1 the command line's start, as whole processes", startup.run),
    ("jobs", "23", "H.1 a million-serial receipt over HTTP as a job", jobs.run),
    ("void", "19", "I.1 void a 10,000-serial receipt", voids.run),
    ("count", "19", "I.2 count a 10,000-unit bin by scanning, and post it", counts.run),
]
# issue 19, points 4 and 5
SECTIONS.append(("flow", "19", "I.3 transfers and inspections of 10,000 serials", flow.run))
# issue 20, points 1 and 2
SECTIONS.append(("orders", "20", "J.1 a 1,000-line sales order reserved, picked, shipped",
                 orders.run))  # fmt: skip
# issue 20, point 3
SECTIONS.append(("packing", "20", "J.3 a pallet of 40 cases of 50 serials packed and shipped",
                 packing.run))  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this section (repeat, or a comma list): "
        + ", ".join(s[0] for s in SECTIONS),
    )
    parser.add_argument(
        "--db-dir",
        type=Path,
        help="where the database files go (default: a temporary directory, removed afterwards)",
    )
    parser.add_argument(
        "--api-orders",
        type=int,
        metavar="N",
        help="trace: build the last N work orders of the plant through the "
        "API (the rest by the labelled fixture generator); a large N builds "
        "all of it through the API",
    )
    parser.add_argument(
        "--baseline-foreign-keys",
        action="store_true",
        help="the raw sqlite3 baselines check the tables' foreign keys, as tracelot's "
        "connections do (by default they do not: the stricter comparison)",
    )
    parser.add_argument("--out", type=Path, default=HERE / "out", help="results directory")
    args = parser.parse_args(argv)
    harness.BASELINE_FOREIGN_KEYS = args.baseline_foreign_keys
    only = [name for text in args.only for name in text.split(",") if name]
    unknown = set(only) - {s[0] for s in SECTIONS}
    if unknown:
        parser.error(f"unknown section {', '.join(sorted(unknown))}")
    chosen = [s for s in SECTIONS if not only or s[0] in only]

    commit = _git_commit()  # the code imported, before anyone changes it during the run
    with tempfile.TemporaryDirectory(prefix="tracelot-bench-") as tmp:
        db_dir = args.db_dir or Path(tmp)
        db_dir.mkdir(parents=True, exist_ok=True)
        ctx = Context(quick=args.quick, db_dir=db_dir)
        if args.api_orders is not None:
            ctx.options["api_orders"] = args.api_orders
        started = time.perf_counter()
        timings = {}
        for name, issue, title, fn in chosen:
            say(f"\n== {name}: {title} ({_issues(issue)})")
            ctx.section, ctx.issue = name, issue
            t0 = time.perf_counter()
            try:
                fn(ctx)
            except Exception:  # a broken section is reported, the others still run
                traceback.print_exc()
                ctx.failures.append(f"[{name}] raised: {traceback.format_exc(limit=1).strip()}")
            timings[name] = time.perf_counter() - t0
            say(f"  ({name} took {timings[name]:.1f} s)")
        total = time.perf_counter() - started

    meta = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "baseline_foreign_keys": args.baseline_foreign_keys,
        "sections": [s[0] for s in chosen],
        "total_seconds": round(total, 1),
        "section_seconds": {k: round(v, 1) for k, v in timings.items()},
        "machine": machine(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "commit": commit,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    results = {
        "meta": meta,
        "rows": [r.to_dict() for r in ctx.rows],
        "info": ctx.info,
        "failures": ctx.failures,
    }
    (args.out / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (args.out / "results.md").write_text(markdown(ctx.rows, chosen))
    say("\n" + table(ctx.rows, chosen))
    m = meta["machine"]
    say(
        f"\n{meta['mode']} run, {total:.0f} s; {m['cpus']} x {m['cpu_model']}, {m['memory']}; "
        f"Python {meta['python']}, SQLite {meta['sqlite']}, SQLAlchemy {meta['sqlalchemy']}"
    )
    if args.baseline_foreign_keys:
        say("the raw sqlite3 baselines checked the tables' foreign keys")
    say(f"results: {args.out / 'results.json'}")
    missed = [r for r in ctx.rows if r.status == "MISSED"]
    if missed:
        say(f"{len(missed)} target(s) MISSED (reported, not a failure)")
    if ctx.failures:
        say("\nFAILED checks:\n  " + "\n  ".join(ctx.failures))
        return 1
    return 0


def _issues(issue: str) -> str:
    return ("issues " if " and " in issue else "issue ") + issue


def _cells(r: Row) -> list[str]:
    value = fmt_s(r.value) + (f" (p95 {fmt_s(r.p95)})" if r.p95 is not None else "")
    return [
        r.name,
        r.how,
        value,
        fmt_s(r.baseline),
        r.ratio_text(),
        "; ".join(str(t) for t in r.targets),
        r.status,
    ]


HEAD = ["figure", "how", "tracelot", "baseline", "ratio", "target", "status"]


def table(rows: list[Row], sections: list) -> str:
    """The plain-text table, a block per section, baselines named below each block."""
    widths = [len(h) for h in HEAD]
    for r in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, _cells(r), strict=True)]
    line = "  ".join(h.ljust(w) for h, w in zip(HEAD, widths, strict=True))
    out = [line, "-" * len(line)]
    for name, issue, title, _ in sections:
        block = [r for r in rows if r.section == name]
        if not block:
            continue
        out.append(f"[{name}] {title} ({_issues(issue)})")
        for r in block:
            cells = _cells(r)
            out.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)))
        names = dict.fromkeys(r.baseline_name for r in block if r.baseline_name)
        out += [f"    baseline: {b}" for b in names]
    return "\n".join(out)


def markdown(rows: list[Row], sections: list) -> str:
    out = []
    if harness.BASELINE_FOREIGN_KEYS:
        out += ["The raw sqlite3 baselines checked the tables' foreign keys "
                "(`--baseline-foreign-keys`).", ""]  # fmt: skip
    for name, issue, title, _ in sections:
        block = [r for r in rows if r.section == name]
        if not block:
            continue
        out += [
            f"### {title} ({_issues(issue)})",
            "",
            "| figure | tracelot | baseline | ratio | target | status |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for r in block:
            value = fmt_s(r.value) + ("" if r.how == "once" else f" ({r.how}")
            value += (
                f", p95 {fmt_s(r.p95)})" if r.p95 is not None else ")" if r.how != "once" else ""
            )
            base = f"{fmt_s(r.baseline)} ({r.baseline_name})" if r.baseline is not None else ""
            targets = "; ".join(str(t) for t in r.targets)
            status = f"**{r.status}**" if r.status in ("MISSED", "WRONG") else r.status
            out.append(f"| {r.name} | {value} | {base} | {r.ratio_text()} | {targets} | {status} |")
        out.append("")
    return "\n".join(out)


def _git_commit() -> str:
    """The commit measured, with "+dirty" when src/ has changes not yet committed."""
    try:
        run = [["git", "rev-parse", "--short", "HEAD"], ["git", "status", "--porcelain", "src"]]
        head, dirty = (
            subprocess.run(cmd, cwd=HERE.parent, capture_output=True, text=True).stdout.strip()
            for cmd in run
        )
        return head + ("+dirty" if dirty else "")
    except OSError:
        return ""


if __name__ == "__main__":
    sys.exit(main())
