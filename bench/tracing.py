"""Issues 3 and 24, trace: forward and backward traces and a recall on the plant of
`plant.py` (1,120,000 units, 200,000 builds, a four-level bill of materials), each against
a hand-written recursive SQL query on the same file. The figures with targets are the
affected lists as `trace --csv` and `--jsonl` write them (issue 24: one statement in the
database, no tree); the tree (`trace --json`) is a reference row."""

from __future__ import annotations

import dataclasses
import io
import time

import plant
import sqlref
from harness import Context, Target, fmt_s, fresh, once, raw, repeat, say
from sqlref import nodes, root_id, same_listed, same_rows, trace_nodes

SUPPLIER, SUPPLIER_LOT = "RESCO", "RS-0001"  # the supplier lot of RESIN lot R01


def _listed(tl, direction: str, fmt: str, ref: str | None = None) -> str:  # noqa: ANN001
    """The affected list as `trace forward|backward --csv|--jsonl` writes it (to memory)."""
    out = io.StringIO()
    if ref is None:
        tl.write_affected(out, direction, fmt=fmt, supplier=SUPPLIER, supplier_lot=SUPPLIER_LOT)
    else:
        tl.write_affected(out, direction, ref, fmt=fmt)
    return out.getvalue()


def run(ctx: Context) -> None:
    sizes = plant.QUICK if ctx.quick else plant.FULL
    if "api_orders" in ctx.options:
        sizes = dataclasses.replace(sizes, api_orders=min(ctx.options["api_orders"], sizes.orders))
    problems = plant.fidelity_check(lambda name: fresh(ctx, name))
    ctx.check(not problems, f"the fixture generator differs from the API: {problems}")
    ctx.note("fixture fidelity", "identical rows" if not problems else problems)

    path, tl = fresh(ctx, "plant")
    say(f"  generating the plant: {sizes.devices:,} devices, {sizes.builds:,} builds")
    gen = plant.generate(tl, sizes, time.perf_counter, say)
    with raw(path) as conn:
        counts = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("units", "operations", "moves", "genealogy")
        }
    ctx.note("data set", counts)
    ctx.check(counts["units"] >= (1_000_000 if not ctx.quick else 10_000), f"units: {counts}")
    ctx.row(
        f"generate: receive {counts['units'] - sizes.builds:,} units ({gen.receipts} "
        "receipts, API)",
        gen.receive_s,
    )
    if gen.fixture_builds:
        ctx.row(
            f"generate: {gen.fixture_builds:,} builds by the FIXTURE generator",
            gen.fixture_s,
            note="labelled fixture: see bench/plant.py",
        )
    for level, seconds in (gen.api_s or {}).items():
        ctx.row(
            f"generate: one build through the API, {level} ({plant.INPUTS[level]} inputs)",
            seconds,
            how=f"mean of {gen.api_builds // 5:,}",
        )
    all_api = sum((gen.api_s or {}).values()) * sizes.devices
    ctx.row(
        f"generate: all {sizes.builds:,} builds through the API (extrapolated)",
        all_api,
        how="estimate",
    )
    ctx.row(
        f"generate: ship {gen.shipped:,} devices (API, {sizes.shipment:,} per shipment)", gen.ship_s
    )
    seconds, report = once(tl.verify)
    ctx.check(report.ok, f"verify found problems in the data set: {report.problems[:5]}")
    ctx.row("generate: verify() replays the whole ledger", seconds)

    reps = 5 if ctx.quick else 7
    with raw(path) as conn:
        lot_sql = """SELECT l.id FROM lots l JOIN parties p ON p.id = l.supplier_id
                     WHERE p.code = ? AND l.supplier_lot = ?"""

        def lot_id() -> int:
            return conn.execute(lot_sql, (SUPPLIER, SUPPLIER_LOT)).fetchone()[0]

        walk, expected = repeat(
            lambda _: nodes(conn, "forward", "lot", lot_id()), [0] * reps, warmup=1
        )
        base, answers = repeat(
            lambda _: sqlref.affected(conn, "forward", "lot", lot_id()), [0] * reps, warmup=1
        )
        for fmt in ("csv", "jsonl"):
            stats, written = repeat(lambda f: _listed(tl, "forward", f), [fmt] * reps, warmup=1)
            row = ctx.repeated(
                f"forward trace of a supplier lot: its affected list as {fmt.upper()} "
                f"({len(answers[0]):,} rows)",
                stats,
                baseline=base.median,
                baseline_name="one WITH RECURSIVE query giving the same affected list "
                "(raw sqlite3, fetched)",
                targets=[Target("max_s", 0.1), Target("max_ratio", 1.5)],
            )
            same = (same_listed(written[0], answers[0]) if fmt == "csv"
                    else len(written[0].splitlines()) == len(answers[0]))  # fmt: skip
            ctx.check(same, f"the forward trace's affected list as {fmt} differs from the SQL", row)
        stats, traces = repeat(
            lambda _: tl.trace_forward(supplier=SUPPLIER, supplier_lot=SUPPLIER_LOT),
            [0] * reps,
            warmup=1,
        )
        got = trace_nodes(traces[0])
        devices = sum(1 for r in traces[0].affected if r["item"] == "DEVICE")
        ctx.note(
            "forward trace",
            f"{len(got):,} nodes, {devices:,} finished devices, "
            f"{len(traces[0].affected):,} affected rows",
        )
        row = ctx.repeated(
            f"  (reference) the same trace as its tree and list (`trace forward --json`, "
            f"{devices:,} devices reached)",
            stats,
            baseline=base.median,
            baseline_name="the same recursive query",
            note=f"{len(got):,} nodes",
        )
        ctx.check(
            got == expected[0],
            f"forward trace: tracelot {len(got):,} nodes, the recursive SQL {len(expected[0]):,}",
            row,
        )
        ctx.check(
            same_rows(traces[0], answers[0]),
            "the forward trace's tree lists other rows than the SQL",
            row,
        )
        ctx.row(
            "  (reference) the recursive SQL node walk alone, no details",
            walk.median,
            how=f"median of {walk.n}",
        )

        rng = ctx.rng("backward")
        picks = [
            f"DEVICE:{plant.serial('DEVICE', rng.randint(1, sizes.devices))}"
            for _ in range(100 if ctx.quick else 200)
        ]
        walk, expected = repeat(lambda ref: nodes(conn, "backward", *root_id(conn, ref)), picks)
        base, answers = repeat(
            lambda ref: sqlref.affected(conn, "backward", *root_id(conn, ref)), picks
        )
        stats, written = repeat(lambda ref: _listed(tl, "backward", "csv", ref), picks)
        row = ctx.repeated(
            "backward trace of one finished unit (random): its affected list as CSV",
            stats,
            baseline=base.median,
            baseline_name="one WITH RECURSIVE query giving the same affected list (raw sqlite3)",
            targets=[Target("max_s", 5e-3), Target("max_ratio", 2.0)],
            note=f"{len(expected[0])} nodes",
        )
        wrong = [ref for ref, w, a in zip(picks, written, answers, strict=True)
                 if not same_listed(w, a)]  # fmt: skip
        ctx.check(not wrong, f"backward lists differ from the recursive SQL: {wrong[:3]}", row)
        stats, traces = repeat(tl.trace_backward, picks)
        wrong = [
            ref
            for ref, t, e, a in zip(picks, traces, expected, answers, strict=True)
            if trace_nodes(t) != e or not same_rows(t, a)
        ]
        row = ctx.repeated(
            "  (reference) the same trace as its tree and list (`trace backward --json`)",
            stats,
            baseline=base.median,
            baseline_name="the same recursive query",
        )
        ctx.row(
            "  (reference) the recursive SQL node walk alone, no details",
            walk.median,
            how=f"median of {walk.n}",
        )
        ctx.check(not wrong, f"backward traces differ from the recursive SQL: {wrong[:3]}", row)

    # last: it writes (the affected list, and holds on what is still in stock)
    affected = len(tl.trace_forward(supplier=SUPPLIER, supplier_lot=SUPPLIER_LOT).affected)
    seconds, recall = once(
        lambda: tl.recall_open(reason="bench", supplier=SUPPLIER, supplier_lot=SUPPLIER_LOT)
    )
    row = ctx.row(
        f"recall_open on that supplier lot ({recall['affected']:,} affected)",
        seconds,
        targets=[Target("max_s", 1.0)],
    )
    ctx.check(
        recall["affected"] == affected,
        f"the recall froze {recall['affected']} affected rows, the forward trace lists {affected}",
        row,
    )
    say(f"  (recall {recall['recall']}: {recall['by_status']}, took {fmt_s(seconds)})")
    tl.close()
