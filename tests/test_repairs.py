"""Repairs: replacing a component keeps both in the genealogy, with dates."""

import datetime as dt

import pytest
from conftest import Cli

import tracelot


def day(d: str) -> dt.datetime:
    return dt.datetime.fromisoformat(d + "T12:00:00+00:00")


@pytest.fixture
def repaired(tl: tracelot.Tracelot) -> tracelot.Tracelot:
    tl.add_location("WH")
    tl.add_location("LINE", kind="production")
    tl.add_party("ACME", name="Acme", kind="customer")
    tl.add_item("PCB", name="Board", tracking="serial")
    tl.add_item("CELL", name="Cell", tracking="lot")
    tl.add_item("DEV", name="Device", tracking="serial")
    tl.receive("PCB", to="WH", serials="B1..B4", at=day("2030-01-01"))
    tl.receive("CELL", to="WH", lot="L1", qty=10, at=day("2030-01-01"))
    tl.build("DEV", to="LINE", serial="D1", consume=["PCB:B1", "CELL@L1=2"], at=day("2030-01-05"))
    tl.replace("DEV:D1", remove="PCB:B1", install="PCB:B2", at=day("2030-02-01"))
    return tl


def inputs(trace: tracelot.app.Trace) -> dict[str, object]:
    return {c.ref: c.removed is not None for c in trace.roots[0].children}


def test_a_trace_shows_current_and_past_components(repaired: tracelot.Tracelot) -> None:
    assert inputs(repaired.trace_backward("DEV:D1")) == {
        "PCB:B1": True,
        "CELL@L1": False,
        "PCB:B2": False,
    }
    removed = repaired.trace_backward("DEV:D1").to_dict()["roots"][0]["inputs"][0]
    assert removed["removed_date"] == day("2030-02-01")


def test_as_of_answers_for_a_past_moment(repaired: tracelot.Tracelot) -> None:
    assert inputs(repaired.trace_backward("DEV:D1", as_of="2030-01-20")) == {
        "PCB:B1": False,
        "CELL@L1": False,
    }
    assert inputs(repaired.trace_backward("DEV:D1", as_of="2030-02-01")) == {
        "CELL@L1": False,
        "PCB:B2": False,
    }
    assert inputs(repaired.trace_backward("DEV:D1", as_of="2030-01-04")) == {}


def test_the_removed_unit_is_back_in_stock_beside_the_assembly(repaired: tracelot.Tracelot) -> None:
    b1, b2 = repaired.where("PCB:B1")[0], repaired.where("PCB:B2")[0]
    assert (b1["location_path"], b1["status"]) == ("LINE", "wip")
    assert (b2["status"], b2["assembly"]) == ("consumed", "DEV:D1")
    assert repaired.verify().ok


def test_a_recall_of_a_removed_component_no_longer_reaches_the_assembly(
    repaired: tracelot.Tracelot,
) -> None:
    recall = repaired.recall_open(refs=["PCB:B1"], reason="bad batch")
    assert {i["serial"] for i in recall["items"]} == {"B1"}


def test_replace_through_the_cli_and_its_refusals(
    repaired: tracelot.Tracelot, cli: Cli, refused
) -> None:
    out = cli("replace", "DEV:D1", "--remove", "PCB:B2", "--install", "PCB:B3", "--scrap", "--json")
    assert out.exit_code == 0, out.stderr
    assert {(ln["serials"][0], ln["to"]) for ln in out.json()["lines"]} == {
        ("B2", "SCRAP"),
        ("B3", "PRODUCTION"),
    }
    assert "REMOVED" in cli("trace", "backward", "DEV:D1", "--tree").stdout
    assert "REMOVED" not in cli("trace", "backward", "DEV:D1").stdout  # the list: no tree
    refused(
        "replace",
        "DEV:D1",
        "--remove",
        "PCB:B4",
        "--install",
        "PCB:B1",
        match="PCB:B4 is not a component of DEV:D1",
    )
    refused(
        "replace", "DEV:D1", "--remove", "PCB:B3", "--install", "PCB:B2", match="already scrapped"
    )
    refused("replace", "CELL@L1", "--remove", "PCB:B3", "--install", "PCB:B1", match="built unit")
    refused("replace", "DEV:D1", "--remove", "CELL@L1", "--install", "PCB:B1", match="swaps units")
    refused(
        "replace",
        "DEV:D1",
        "--remove",
        "PCB:B3",
        "--install",
        "PCB:B4",
        "--to",
        "WH",
        "--scrap",
        match="not both",
    )
    refused("trace", "backward", "DEV:D1", "--as-of", "someday", match="not a date")


def test_a_lot_can_not_be_made_from_what_it_went_into(
    repaired: tracelot.Tracelot, cli: Cli, refused
) -> None:
    repaired.add_item("MIX", name="Mix", tracking="lot")
    repaired.build("MIX", to="LINE", lot="M1", qty=4, consume=["CELL@L1=1"])
    repaired.build("DEV", to="LINE", serial="D2", consume=["MIX@M1=1"])
    refused(
        "build", "MIX", "--to", "LINE", "--lot", "M1", "--qty", "2", "--consume", "DEV:D2",
        match="DEV:D2 contains MIX@M1",
    )  # fmt: skip
    out = cli("build", "MIX", "--to", "LINE", "--lot", "M1", "--qty", "2", "--consume", "PCB:B3")
    assert out.exit_code == 0, out.stderr  # a lot made again from something else is fine
    assert {n.ref for n in repaired.trace_backward("MIX@M1").roots[0].children} == {
        "CELL@L1",
        "PCB:B3",
    }


def test_history_of_an_assembly_shows_its_repairs_and_holds(
    repaired: tracelot.Tracelot, cli: Cli
) -> None:
    repaired.hold("DEV:D1", reason="inspect", at=day("2030-03-01"))
    repaired.release("DEV:D1", at=day("2030-03-02"))
    timeline = cli("history", "DEV:D1", "--json").json()
    assert [(e["kind"], e["note"]) for e in timeline] == [
        ("build", None),
        ("replace", "DEV:D1: PCB:B1 replaced by PCB:B2"),
        ("hold", "inspect"),
        ("release", None),
    ]
    assert [e["kind"] for e in cli("history", "PCB:B1", "--json").json()] == [
        "receive",
        "build",
        "replace",
    ]
