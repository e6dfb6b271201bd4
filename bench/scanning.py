"""Issue 4: resolving scans at a million units: parse and database look-up, against the
parse alone in the same run."""

from __future__ import annotations

import foundation
from harness import Context, Target, connect, once

from tracelot.domain.scan import GS, parse_scan
from tracelot.domain.values import gtin_check_digit

GTIN = "0950600013435" + str(gtin_check_digit("0950600013435"))


def forms(serial: str) -> list[str]:
    """One unit as scanners deliver it: GS1 DataMatrix with its symbology identifier and
    a GS, the bracketed form, a Digital Link, tracelot's payload and a typed reference."""
    return [
        f"]d201{GTIN}21{serial}{GS}17301231",
        f"(01){GTIN}(21){serial}",
        f"https://id.example.com/01/{GTIN}/21/{serial}",
        f"TL:U:{foundation.ITEM}:{serial}",
        f"{foundation.ITEM}:{serial}",
    ]


def run(ctx: Context) -> None:
    path = foundation.million(ctx)
    n = foundation._size(ctx)
    tl = connect(path)
    if GTIN not in tl.item(foundation.ITEM)["gtins"]:
        tl.add_gtin(foundation.ITEM, GTIN)
    rng = ctx.rng("scan")
    count = 2_000 if ctx.quick else 10_000
    serials = [f"S{rng.randint(1, n):07d}" for _ in range(count // 5)]
    scans = [scan for serial in serials for scan in forms(serial)]
    for scan in scans[:50]:  # warm-up: statement caches, the first connection
        tl.identify(scan)
    parse_s, parsed = once(lambda: [parse_scan(s) for s in scans])
    resolve_s, results = once(lambda: [tl.identify(s) for s in scans])
    wrong = [
        (scan, r["error"])
        for scan, r, serial in zip(
            scans, results, [s for s in serials for _ in range(5)], strict=True
        )
        if not (r["ok"] and r["kind"] == "unit" and r["serial"] == serial)
    ]
    per_scan, parse_per_scan = resolve_s / len(scans), parse_s / len(scans)
    row = ctx.row(
        f"resolve a scan at {n:,} units (5 forms, random serials): "
        f"{len(scans) / resolve_s:,.0f} scans/s",
        per_scan,
        how=f"mean of {len(scans):,}",
        baseline=parse_per_scan,
        baseline_name="parsing the same scans alone (no database)",
        targets=[Target("max_s", 1 / 5_000)],
    )
    ctx.check(not wrong, f"scans resolved wrongly: {wrong[:3]}", row)
    ctx.note("parse alone", f"{len(scans) / parse_s:,.0f} scans/s ({len(parsed)} parsed)")
    tl.close()


def whole_command(ctx: Context) -> None:
    """Issue 22: `tracelot scan --json` as a whole command (a process, its start included)
    on 10,000 scanner lines of units at a million, against parsing the same lines alone."""
    import subprocess
    import sys

    path = foundation.million(ctx)
    n = foundation._size(ctx)
    tl = connect(path)
    if GTIN not in tl.item(foundation.ITEM)["gtins"]:
        tl.add_gtin(foundation.ITEM, GTIN)
    tl.close()
    rng = ctx.rng("scan-command")
    count = 2_000 if ctx.quick else 10_000
    serials = [f"S{rng.randint(1, n):07d}" for _ in range(count // 5)]
    repeated = [scan for serial in serials for scan in forms(serial)]
    # and every line a unit of its own: nothing is read twice
    distinct = [forms(f"S{s:07d}")[i % 5] for i, s in enumerate(rng.sample(range(1, n + 1), count))]
    for lines, what in ((repeated, "each unit in 5 forms"), (distinct, "10,000 units")):
        data = ("\n".join(lines) + "\n").encode()
        command = [sys.executable, "-m", "tracelot", "--db", f"sqlite:///{path}", "scan", "--json"]
        run_s, done = once(lambda: subprocess.run(command, input=data, capture_output=True))  # noqa: B023
        answers = done.stdout.decode().splitlines()
        parse_s, _ = once(lambda: [parse_scan(s) for s in lines])  # noqa: B023
        row = ctx.row(
            f"tracelot scan --json on {len(lines):,} lines ({what}), a whole process: "
            f"{len(lines) / run_s:,.0f} lines/s",
            run_s,
            baseline=parse_s,
            baseline_name="parsing the same lines alone, in this process",
            targets=[Target("max_s", len(lines) / 5_000), Target("max_ratio", 5.0)],
        )
        ok = done.returncode == 0 and len(answers) == len(lines)
        ok = ok and all('"ok": true' in answer for answer in answers)
        ctx.check(ok, f"scan --json: exit {done.returncode}, {len(answers)} answers", row)
