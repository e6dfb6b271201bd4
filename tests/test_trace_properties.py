"""Property: backward and forward trace are inverses, and both equal the genealogy built.

Hypothesis draws random sequences of builds (serial units and lots made from serial
components, lot quantities, screws and earlier outputs, so chains run deep) and
repairs, some of them impossible. A model keeps the links of every
accepted operation. Then for every unit and lot: its backward trace reaches exactly
what the model says went into it, however deep, its forward trace exactly what it went
into, and Y is behind X exactly when X is ahead of Y. Then some of it is moved off the
line, shipped to customers or held, and the affected list the database writes
(`services.affected`: one statement), as JSON Lines and as CSV, whole and to a depth, is
the one the tree walk makes: statuses, places, customers and shipments included.
"""

import contextlib
import csv
import datetime as dt
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

import pytest
from conftest import BACKEND
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import tracelot
from tracelot.domain.errors import TracelotError
from tracelot.services.trace import Node, Trace

COMPONENTS = [f"COMP:C{i}" for i in range(1, 16)]
RAW_LOTS = ["RAW@L1", "RAW@L2"]

# A step picks what it consumes by position: 0 is the newest thing built, counting
# back through everything built and then the purchased stock, so chains grow deep.
pick = st.integers(min_value=0, max_value=8)
build = st.tuples(
    st.sampled_from(["unit", "lot"]),  # build a SUB unit or a MIX lot
    st.lists(st.tuples(pick, st.integers(min_value=1, max_value=3)), min_size=1, max_size=3),
    st.booleans(),  # and some screws
)
# and then where things go: off the line to a bin, to a customer, on hold (after the
# builds: among them, a hold or a shipment would stop the chains growing deep)
where = st.one_of(
    st.tuples(st.just("move"), pick, st.integers(min_value=1, max_value=3)),
    st.tuples(
        st.just("ship"),
        pick,
        st.sampled_from(["ACME", "GLOBEX"]),
        st.integers(min_value=1, max_value=3),
    ),  # fmt: skip
    st.tuples(st.just("hold"), pick),
)
steps = st.one_of(build, st.tuples(st.just("replace"), pick, pick, pick))


class World:
    """The model: every link each accepted operation made, and what is inside what."""

    def __init__(self) -> None:
        self.built: list[str] = []
        self.down: dict[str, set[str]] = defaultdict(set)
        self.up: dict[str, set[str]] = defaultdict(set)
        self.inside: dict[str, list[str]] = {}

    def candidate(self, position: int, *, units_only: bool = False) -> str:
        pool = [*reversed(self.built), *COMPONENTS, *([] if units_only else RAW_LOTS)]
        pool = [r for r in pool if ":" in r] if units_only else pool
        return pool[position % len(pool)]

    def apply(self, tl: tracelot.Tracelot, step: tuple) -> None:
        """Run one step (it may be refused); record the links it made."""
        if step[0] in ("move", "ship", "hold"):  # no links: where things are, and holds
            ref = self.candidate(step[1])
            qty = None if ":" in ref else step[-1]
            if step[0] == "move":
                tl.move(ref, to="A1", qty=qty)
            elif step[0] == "ship":
                with contextlib.suppress(TracelotError):  # off the line first
                    tl.move(ref, to="A1", qty=qty)
                tl.ship(ref, to=step[2], qty=qty, reference=f"SO-{len(self.built)}")
            else:
                tl.hold(ref, reason="suspect")
            return
        if step[0] == "replace":
            _, which_assembly, which_part, which_new = step
            assemblies = [r for r in reversed(self.built) if r in self.inside] or ["SUB:NONE"]
            assembly = assemblies[which_assembly % len(assemblies)]
            parts = self.inside.get(assembly) or ["COMP:NONE"]
            removed = parts[which_part % len(parts)]
            installed = self.candidate(which_new, units_only=True)
            tl.replace(assembly, remove=removed, install=installed, to="A1")
            parts[parts.index(removed)] = installed
            self._link(assembly, [installed])
            return
        kind, picks, screws = step
        consumed = list(dict.fromkeys(self.candidate(p) for p, _ in picks))
        amounts = dict((self.candidate(p), n) for p, n in picks)
        refs = [r if ":" in r else f"{r}={amounts[r]}" for r in consumed]
        refs += ["SCREW=2"] if screws else []
        n = len(self.built) + 1
        if kind == "unit":
            output = f"SUB:S{n}"
            tl.build("SUB", to="LINE", serial=f"S{n}", consume=refs)
            self.inside[output] = [r for r in consumed if ":" in r]
        else:
            output = f"MIX@M{n}"
            tl.build("MIX", to="LINE", lot=f"M{n}", qty=5, consume=refs)
        self.built.append(output)
        self._link(output, [*consumed, *(["SCREW"] if screws else [])])

    def _link(self, parent: str, children: list[str]) -> None:
        for child in children:
            self.down[parent].add(child)
            self.up[child].add(parent)

    def depth(self, ref: str, seen: frozenset[str] = frozenset()) -> int:
        below = [self.depth(c, seen | {ref}) for c in self.down.get(ref, ()) if c not in seen]
        return 1 + max(below, default=-1)


def _closure(edges: dict[str, set[str]], start: str) -> set[str]:
    """Everything reachable from `start`, but `start` itself (a unit taken out of an
    assembly may later take that assembly in: a trace does not list a node under itself)."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen - {start}


def _reached(trace: Trace) -> set[str]:
    def walk(node: Node) -> Iterator[str]:
        for child in node.children:
            yield child.ref
            yield from walk(child)

    return {ref for root in trace.roots for ref in walk(root)}


def _traced(tl: tracelot.Tracelot, direction: str, ref: str, **scope: int) -> Trace:
    traced = tl.trace_backward if direction == "backward" else tl.trace_forward
    return traced(ref, **scope)


def _rows(rows: list[dict]) -> list[str]:
    """Affected rows as JSON text, sorted: the tree's (Decimals, datetimes) as JSON says them."""
    return sorted(json.dumps(json.loads(json.dumps(r, default=_json)), sort_keys=True)
                  for r in rows)  # fmt: skip


def _json(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(type(value))


def _listed(tl: tracelot.Tracelot, direction: str, ref: str, **scope: int) -> list[str]:
    """The affected list as the database writes it (JSON Lines), sorted."""
    out = io.StringIO()
    count = tl.write_affected(out, direction, ref, fmt="jsonl", **scope)  # type: ignore[arg-type]
    lines = out.getvalue().splitlines()
    assert count == len(lines)
    return _rows([json.loads(line) for line in lines])


#: what a CSV row says, as text (CSV has no `held`)
_CSV_CELLS = (
    "item",
    "serial",
    "lot",
    "status",
    "location",
    "customer",
    "customer_name",
    "shipment_ref",
)


def _csv(tl: tracelot.Tracelot, direction: str, ref: str) -> list[tuple]:
    """The affected list as the database writes it as CSV: each row's cells, sorted."""
    out = io.StringIO()
    tl.write_affected(out, direction, ref, fmt="csv")  # type: ignore[arg-type]
    rows = csv.DictReader(io.StringIO(out.getvalue(), newline=""))
    return sorted((*(r[c] for c in _CSV_CELLS), Decimal(r["qty"])) for r in rows)


def _csv_of(rows: list[dict]) -> list[tuple]:
    return sorted((*("" if r[c] is None else str(r[c]) for c in _CSV_CELLS), r["qty"])
                  for r in rows)  # fmt: skip


@pytest.mark.slow
@settings(
    # each example also compares every unit's and lot's list both ways: fewer on PostgreSQL
    max_examples=40 if BACKEND == "sqlite" else 8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=st.lists(steps, min_size=8, max_size=30), after=st.lists(where, max_size=12))
def test_forward_and_backward_trace_are_inverses(
    genealogy_world, plan: list[tuple], after: list[tuple]
) -> None:
    with genealogy_world() as tl:
        world = World()
        for step in plan + after:
            try:
                world.apply(tl, step)
            except TracelotError:
                event(f"{step[0]} refused")
                continue
            event(f"{step[0]} done")

        refs = [*COMPONENTS, *RAW_LOTS, *world.built]
        traces = {(d, r): _traced(tl, d, r) for d in ("backward", "forward") for r in refs}
        behind = {r: _reached(traces["backward", r]) for r in refs}
        ahead = {r: _reached(traces["forward", r]) for r in refs}
        for (direction, ref), traced in traces.items():  # the database's list is the tree's
            assert _listed(tl, direction, ref) == _rows(traced.affected), f"{direction} {ref}"
            assert _csv(tl, direction, ref) == _csv_of(traced.affected), f"{direction} {ref} CSV"
        for ref in world.built[-3:]:  # and to a depth
            for direction in ("backward", "forward"):
                shallow = _traced(tl, direction, ref, depth=2).affected
                assert _listed(tl, direction, ref, depth=2) == _rows(shallow), f"{ref} depth 2"
        for ref in refs:
            assert behind[ref] == _closure(world.down, ref), f"backward trace of {ref}"
            assert ahead[ref] == _closure(world.up, ref), f"forward trace of {ref}"
        for x in refs:
            for y in refs:
                assert (y in behind[x]) == (x in ahead[y]), f"{x} and {y}"
        event(f"{max(map(world.depth, refs))} levels deep")
        assert tl.verify().problems == []  # the genealogy's closure is what the links make


@pytest.fixture
def genealogy_world(fresh_tracelot):
    """A factory of fresh worlds with components, two raw lots and screws on hand."""
    from contextlib import contextmanager

    @contextmanager
    def make():
        with fresh_tracelot() as tl:
            tl.add_location("WH", kind="warehouse")
            tl.add_location("A1", parent="WH")
            tl.add_location("LINE", kind="production")
            for customer in ("ACME", "GLOBEX"):
                tl.add_party(customer, name=f"{customer.title()}, Inc", kind="customer")
            for code, tracking in [
                ("COMP", "serial"),
                ("RAW", "lot"),
                ("SCREW", "none"),
                ("MIX", "lot"),
                ("SUB", "serial"),
            ]:
                tl.add_item(code, name=code.title(), tracking=tracking)
            tl.receive("COMP", to="A1", serials="C1..C15")
            tl.receive("RAW", to="A1", lot="L1", qty=40)
            tl.receive("RAW", to="LINE", lot="L2", qty=40)
            tl.receive("SCREW", to="A1", qty=100)
            yield tl

    return make
