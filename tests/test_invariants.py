"""Property: whatever sequence of operations users try, the invariants hold.

Hypothesis draws random sequences of receipts, moves, builds, shipments, returns,
scraps and count corrections, many of them impossible. After each step: a refused
operation changed nothing; an accepted one changed on-hand stock by exactly the
lines it reports; and `verify` (projections equal a replay of the ledger, every item
and lot nets to zero, no negative balance, every unit in one place) passes.
"""

from collections import Counter
from decimal import Decimal

import pytest
from conftest import BACKEND
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import tracelot
from tracelot.domain.errors import TracelotError

LOCATIONS = ["A1", "A2", "LINE", "QUAR"]
CUSTOMERS = ["ACME", "GLOBEX"]
SERIALS = [f"S{i}" for i in range(1, 9)]
LOTS = ["L1", "L2"]

qty = st.integers(min_value=1, max_value=6).map(str) | st.sampled_from(["0", "-1", "0.5", "abc"])
loc = st.sampled_from(LOCATIONS)
unit = st.sampled_from(SERIALS).map(lambda s: f"PCB:{s}")
lot = st.sampled_from(LOTS).map(lambda c: f"CELL@{c}")
ref = unit | lot | st.just("SCREW") | st.just("CELL") | st.just("PCB:NOPE")

operations = st.one_of(
    st.tuples(
        st.just("receive_units"), st.lists(st.sampled_from(SERIALS), min_size=1, max_size=3), loc
    ),
    st.tuples(st.just("receive_lot"), st.sampled_from(LOTS), qty, loc),
    st.tuples(st.just("receive_screws"), qty, loc),
    st.tuples(st.just("move"), ref, loc, st.none() | qty),
    st.tuples(st.just("ship"), ref, st.sampled_from(CUSTOMERS), qty),
    st.tuples(st.just("return"), ref, st.sampled_from(CUSTOMERS), loc, qty),
    st.tuples(st.just("scrap"), ref, st.none() | qty),
    st.tuples(
        st.just("adjust"),
        st.sampled_from(["SCREW", "CELL"]),
        loc,
        st.integers(min_value=0, max_value=15),
        st.sampled_from(LOTS),
    ),
    st.tuples(
        st.just("build"),
        st.integers(min_value=1, max_value=99),
        loc,
        st.lists(
            st.sampled_from(
                ["PCB:S1", "PCB:S2", "PCB:S3", "CELL@L1=2", "CELL=1", "SCREW=3", "DEV:D1"]
            ),
            min_size=1,
            max_size=3,
        ),
    ),
)


def _apply(tl: tracelot.Tracelot, op: tuple) -> object:
    kind, *args = op
    if kind == "receive_units":
        return tl.receive("PCB", to=args[1], serials=args[0])
    if kind == "receive_lot":
        return tl.receive("CELL", to=args[2], lot=args[0], qty=args[1])
    if kind == "receive_screws":
        return tl.receive("SCREW", to=args[1], qty=args[0])
    if kind == "move":
        return tl.move(args[0], to=args[1], qty=args[2])
    if kind == "ship":
        return tl.ship(args[0], to=args[1], qty=None if ":" in args[0] else args[2])
    if kind == "return":
        return tl.return_(
            args[0], from_customer=args[1], to=args[2], qty=None if ":" in args[0] else args[3]
        )
    if kind == "scrap":
        return tl.scrap(args[0], reason="test", qty=args[1])
    if kind == "adjust":
        return tl.adjust(
            args[0],
            at_location=args[1],
            counted=args[2],
            lot=args[3] if args[0] == "CELL" else None,
        )
    return tl.build("DEV", to=args[1], serial=f"D{args[0]}", consume=args[2])


def _on_hand(tl: tracelot.Tracelot) -> Counter:
    return Counter(
        {(r["item"], r["location_path"], r["lot"]): Decimal(str(r["qty"])) for r in tl.stock()}
    )


@pytest.mark.slow
@settings(
    max_examples=40 if BACKEND == "sqlite" else 15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(operations, min_size=3, max_size=25))
def test_random_operations_keep_every_invariant(fresh_world, steps: list[tuple]) -> None:
    with fresh_world() as tl:
        for step in steps:
            before = _on_hand(tl)
            try:
                result = _apply(tl, step)
            except TracelotError:
                assert _on_hand(tl) == before, f"refused {step} changed the stock"
                event(f"{step[0]} refused")
                continue
            event(f"{step[0]} done")
            after = _on_hand(tl)
            expected = Counter(before)
            for line in result.lines if result is not None else []:
                expected[(line.item, line.from_location, line.lot)] -= line.qty
                expected[(line.item, line.to_location, line.lot)] += line.qty
            real = {k: v for k, v in expected.items() if v and k[1] in LOCATIONS_PATHS}
            assert real == dict(after), f"{step} moved other stock than it reports"
            report = tl.verify()
            assert report.ok, (step, report.problems)


LOCATIONS_PATHS = {"WH/A1", "WH/A2", "LINE", "QUAR"}


@pytest.fixture
def fresh_world(fresh_tracelot):
    """A factory of fresh, small worlds (hypothesis runs many examples in one test)."""
    from contextlib import contextmanager

    @contextmanager
    def make():
        with fresh_tracelot() as tl:
            tl.add_location("WH", kind="warehouse")
            tl.add_location("A1", parent="WH")
            tl.add_location("A2", parent="WH")
            tl.add_location("LINE", kind="production")
            tl.add_location("QUAR", kind="quarantine")
            for c in CUSTOMERS:
                tl.add_party(c, name=c, kind="customer")
            tl.add_item("PCB", name="Board", tracking="serial")
            tl.add_item("CELL", name="Cell", tracking="lot")
            tl.add_item("SCREW", name="Screw", tracking="none")
            tl.add_item("DEV", name="Device", tracking="serial")
            tl.receive("PCB", to="A1", serials="S1..S4")
            tl.receive("CELL", to="A1", lot="L1", qty=10)
            tl.receive("CELL", to="LINE", lot="L2", qty=5, expires="2099-01-01")
            tl.receive("SCREW", to="A2", qty=20)
            yield tl

    return make
