"""The InvenTree workload (issues 2 and 3), on a fresh database, at full size in every
mode: receive 5,000 serials in two lots, build 1,000 serialized assemblies of 5 of them
each, ship 600 assemblies in one shipment, find one unit, and trace.

The baselines are InvenTree's figures quoted in the issues (constants, not measured here).
"""

from __future__ import annotations

import io

import sqlref
from harness import Context, Target, fresh, once, raw, repeat
from sqlref import nodes, root_id, same_listed, trace_nodes

INVENTREE = "InvenTree's figure, quoted in the issue"
FIGURES = {  # seconds
    "receive": 3.9,
    "build": 0.9 + 90.0,  # create the 1,000 assemblies, then install 5 serials in each
    "ship": 12.0,
    "find": 6.7e-3,
    "forward": 16e-3,
    "backward": 6.3e-3,
}


def run(ctx: Context) -> None:
    path, tl = fresh(ctx, "inventree")
    tl.add_location("WH", kind="warehouse")
    tl.add_party("SUP", name="Supplier", kind="supplier")
    tl.add_party("CUST", name="Customer", kind="customer")
    tl.add_item("COMP", name="Component", tracking="serial", cost="2.50")
    tl.add_item("ASM", name="Assembly", tracking="serial")

    def receive() -> None:
        tl.receive(
            "COMP", to="WH", serials="1..2500", lot="LOT-A", supplier="SUP", supplier_lot="SA-1"
        )
        tl.receive(
            "COMP", to="WH", serials="2501..5000", lot="LOT-B", supplier="SUP", supplier_lot="SB-1"
        )

    def plan(first: int, last: int) -> list[dict]:
        return [
            {"serial": f"A{a:04d}", "consume": [f"COMP:{5 * (a - 1) + j}" for j in range(1, 6)]}
            for a in range(first, last + 1)
        ]

    def build_run():  # noqa: ANN202
        return tl.build_run("ASM", to="WH", outputs=plan(1, 1_000), reference="WO-1")

    def builds() -> None:  # the same, as separate builds kept together in one block
        with tl.atomic():
            for output in plan(1_001, 1_100):
                tl.build("ASM", to="WH", **output)

    def ship():  # noqa: ANN202
        return tl.ship(*[f"ASM:A{a:04d}" for a in range(1, 601)], to="CUST", reference="SO-1")

    bulk = [Target("min_speedup", 100)]
    seconds, _ = once(receive)
    ctx.row(
        "receive 5,000 serials in two lots",
        seconds,
        baseline=FIGURES["receive"],
        baseline_name=INVENTREE,
        targets=bulk,
    )
    seconds, op = once(build_run)
    ctx.check(len(op.outputs) == 1_000, f"the production run built {len(op.outputs)} assemblies")
    ctx.row(
        "1,000 assemblies, 5 serials installed in each (one production run)",
        seconds,
        baseline=FIGURES["build"],
        baseline_name=INVENTREE,
        targets=bulk,
    )
    seconds, op = once(ship)
    ctx.check(op.lines[0].qty == 600, f"the shipment moved {op.lines[0].qty} assemblies")
    ctx.row(
        "ship 600 assemblies in one shipment",
        seconds,
        baseline=FIGURES["ship"],
        baseline_name=INVENTREE,
        targets=bulk,
    )

    tl.receive("COMP", to="WH", serials="5001..5500", lot="LOT-C")
    seconds, _ = once(builds)
    ctx.row(
        "100 more assemblies as 100 separate builds (one atomic block)",
        seconds,
        baseline=FIGURES["build"] / 10,
        baseline_name=INVENTREE + ", for 100 of its 1,000",
    )

    stats, rows = repeat(lambda _: tl.where("COMP:4321"), list(range(200)))
    ctx.check(rows[0][0]["assembly"] == "ASM:A0865", f"COMP:4321 is in {rows[0][0]['assembly']}")
    ctx.repeated(
        "find the unit with serial 4321 (where)",
        stats,
        baseline=FIGURES["find"],
        baseline_name=INVENTREE,
        targets=[Target("min_speedup", 10)],
    )

    ctx.issue = "3"
    with raw(path) as conn:
        kind, ident = root_id(conn, "COMP@LOT-A")
        expected = nodes(conn, "forward", kind, ident)
        answer = sqlref.affected(conn, "forward", kind, ident)

        def listed(_: int) -> str:
            out = io.StringIO()
            tl.write_affected(out, "forward", "COMP@LOT-A", fmt="csv")
            return out.getvalue()

        stats, written = repeat(listed, list(range(50)))
        row = ctx.repeated(
            "forward trace of a lot to its assemblies and customers: its affected list (CSV)",
            stats,
            baseline=FIGURES["forward"],
            baseline_name=INVENTREE,
            targets=[Target("min_speedup", 10)],
            note=f"{len(answer)} rows",
        )
        ctx.check(same_listed(written[0], answer),
                  "COMP@LOT-A: the affected list differs from the recursive SQL", row)  # fmt: skip
        stats, traces = repeat(lambda _: tl.trace_forward("COMP@LOT-A"), list(range(50)))
        got = trace_nodes(traces[0])
        row = ctx.repeated(
            "  (reference) the same trace as its tree and list (`trace forward --json`)",
            stats,
            baseline=FIGURES["forward"],
            baseline_name=INVENTREE,
            note=f"{len(got)} nodes; the recursive SQL reaches {len(expected)}",
        )
        ctx.check(
            got == expected,
            f"forward trace of COMP@LOT-A has {len(got)} nodes, the recursive SQL "
            f"{len(expected)} (the lot and the 500 assemblies its 2,500 units went into)",
            row,
        )
        customers = {r["customer"] for r in traces[0].affected if r["customer"]}
        ctx.check(
            customers == {"CUST"},
            f"forward trace of COMP@LOT-A names customers {sorted(customers)}, not ['CUST']",
            row,
        )

        rng = ctx.rng("inventree")
        picks = [f"ASM:A{rng.randint(1, 1_000):04d}" for _ in range(200)]
        stats, traces = repeat(tl.trace_backward, picks)
        wrong = [
            ref
            for ref, tr in zip(picks, traces, strict=True)
            if trace_nodes(tr) != nodes(conn, "backward", *root_id(conn, ref))
        ]
        row = ctx.repeated(
            "backward trace of one assembly (random)",
            stats,
            baseline=FIGURES["backward"],
            baseline_name=INVENTREE,
            targets=[Target("min_speedup", 10)],
            note="6 nodes",
        )
        ctx.check(not wrong, f"backward traces differ from the recursive SQL: {wrong[:3]}", row)
    tl.close()
