"""Tracing genealogies built by hand: exact results backward and forward."""

import csv
import datetime as dt
import io
import json

import pytest
from conftest import Cli

import tracelot


def refs(node: dict, key: str) -> dict:
    """A trace tree as nested {ref (qty): children}."""
    return {f"{c['ref']} x{c['qty']}": refs(c, key) for c in node[key]}


@pytest.fixture
def plant(tl: tracelot.Tracelot) -> tracelot.Tracelot:
    tl.add_location("WH", kind="warehouse")
    tl.add_location("LINE", kind="production")
    tl.add_location("QUAR", kind="quarantine")
    tl.add_party("CELLCO", name="Cell Co", kind="supplier")
    tl.add_party("PCBCO", name="PCB House", kind="supplier")
    for c in ("ACME", "GLOBEX"):
        tl.add_party(c, name=c.title(), kind="customer")
    tl.add_item("PCB", name="Board", tracking="serial")
    tl.add_item("CELL", name="Cell", tracking="lot")
    tl.add_item("PACK", name="Pack", tracking="serial")
    tl.add_item("DEV", name="Device", tracking="serial")
    tl.add_item("SCREW", name="Screw", tracking="none")
    tl.receive("PCB", to="WH", serials="B01..B20", supplier="PCBCO", supplier_lot="PH-1")
    tl.receive("CELL", to="WH", lot="L1", qty=100, supplier="CELLCO", supplier_lot="CC-9")
    tl.receive("CELL", to="WH", lot="L2", qty=100, supplier="CELLCO", supplier_lot="CC-9")
    tl.receive("CELL", to="WH", lot="L3", qty=100, supplier="CELLCO", supplier_lot="CC-10")
    tl.receive("SCREW", to="WH", qty=1000)
    return tl


def test_backward_trace_reaches_every_component_and_supplier_lot(plant: tracelot.Tracelot) -> None:
    plant.build("PACK", to="LINE", serial="P1", consume=["CELL@L1=3", "CELL@L2=1"])
    plant.build("DEV", to="LINE", serial="D1", consume=["PCB:B01", "PACK:P1", "SCREW=4"])
    result = plant.trace_backward("DEV:D1").to_dict()
    root = result["roots"][0]
    assert root["ref"] == "DEV:D1"
    assert refs(root, "inputs") == {
        "PCB:B01 x1": {},
        "PACK:P1 x1": {"CELL@L1 x3": {}, "CELL@L2 x1": {}},
        "SCREW x4": {},
    }
    board = root["inputs"][0]
    assert (board["supplier"], board["supplier_lot"], board["receipt"]) == ("PCBCO", "PH-1", 1)
    cell = root["inputs"][1]["inputs"][0]
    assert (cell["supplier"], cell["supplier_lot"], cell["receipt"]) == ("CELLCO", "CC-9", 2)
    assert root["inputs"][1]["build"] != root["inputs"][1]["inputs"][0]["build"]


def test_a_diamond_is_traced_through_both_paths(plant: tracelot.Tracelot) -> None:
    # L1 goes into P1 directly and into D1 directly; P1 goes into D1 too
    plant.build("PACK", to="LINE", serial="P1", consume=["CELL@L1=2"])
    plant.build("DEV", to="LINE", serial="D1", consume=["PACK:P1", "CELL@L1=1"])
    fwd = plant.trace_forward("CELL@L1").to_dict()
    assert refs(fwd["roots"][0], "outputs") == {
        "PACK:P1 x2": {"DEV:D1 x1": {}},
        "DEV:D1 x1": {},
    }
    affected = [(a["item"], a["serial"], a["status"]) for a in fwd["affected"] if a["serial"]]
    assert affected == [("PACK", "P1", "consumed"), ("DEV", "D1", "wip")]  # each once
    back = plant.trace_backward("DEV:D1").to_dict()
    assert refs(back["roots"][0], "inputs") == {
        "PACK:P1 x1": {"CELL@L1 x2": {}},
        "CELL@L1 x1": {},
    }


def test_a_deep_chain_of_five_levels(plant: tracelot.Tracelot) -> None:
    for i in range(1, 6):
        plant.add_item(f"LVL{i}", name=f"Level {i}", tracking="serial")
    plant.build("LVL1", to="LINE", serial="X", consume=["CELL@L3=5"])
    for i in range(2, 6):
        plant.build(f"LVL{i}", to="LINE", serial="X", consume=[f"LVL{i - 1}:X"])
    plant.ship("LVL5:X", to="GLOBEX", reference="SO-5")
    fwd = plant.trace_forward(supplier="CELLCO", supplier_lot="CC-10").to_dict()
    chain, node = [], fwd["roots"][0]
    while node["outputs"]:
        node = node["outputs"][0]
        chain.append(node["ref"])
    assert chain == ["LVL1:X", "LVL2:X", "LVL3:X", "LVL4:X", "LVL5:X"]
    last = fwd["affected"][-1]
    assert (last["item"], last["status"], last["customer"], last["shipment_ref"]) == (
        "LVL5",
        "shipped",
        "GLOBEX",
        "SO-5",
    )
    back = plant.trace_backward("LVL5:X", depth=2).to_dict()
    assert refs(back["roots"][0], "inputs") == {"LVL4:X x1": {"LVL3:X x1": {}}}
    full = plant.trace_backward("LVL5:X").to_dict()
    depth, node = 0, full["roots"][0]
    while node["inputs"]:
        node, depth = node["inputs"][0], depth + 1
    assert (depth, node["ref"], node["supplier_lot"]) == (5, "CELL@L3", "CC-10")


def test_one_lot_in_hundreds_of_builds_follows_quantities(plant: tracelot.Tracelot) -> None:
    plant.receive("CELL", to="LINE", lot="BIG", qty=1000, supplier="CELLCO", supplier_lot="CC-1")
    for i in range(300):
        plant.build("PACK", to="LINE", serial=f"P{i:03d}", consume=[f"CELL@BIG={1 + i % 3}"])
    fwd = plant.trace_forward("CELL@BIG").to_dict()
    outputs = fwd["roots"][0]["outputs"]
    assert len(outputs) == 300
    assert sum(o["qty"] for o in outputs) == sum(1 + i % 3 for i in range(300))
    assert outputs[4] | {"ref": "PACK:P004", "qty": 2} == outputs[4]
    on_hand = [a for a in fwd["affected"] if a["lot"] == "BIG" and a["status"] == "wip"]
    assert on_hand[0]["qty"] == 1000 - 600


def test_forward_trace_follows_returned_and_reshipped_units(plant: tracelot.Tracelot) -> None:
    plant.build("DEV", to="LINE", serial="D1", consume=["PCB:B02"])
    plant.ship("DEV:D1", to="ACME", reference="SO-1")
    plant.return_("DEV:D1", from_customer="ACME", to="QUAR")
    plant.ship("DEV:D1", to="GLOBEX", reference="SO-2")
    row = plant.trace_forward("PCB:B02").affected[-1]
    assert (row["serial"], row["customer"], row["shipment_ref"]) == ("D1", "GLOBEX", "SO-2")


def test_a_scrapped_assembly_shows_as_scrapped(plant: tracelot.Tracelot) -> None:
    plant.build("DEV", to="LINE", serial="D1", consume=["PCB:B03"])
    plant.scrap("DEV:D1", reason="dropped")
    row = plant.trace_forward("PCB:B03").affected[-1]
    assert (row["serial"], row["status"]) == ("D1", "scrapped")


def test_a_unit_that_went_nowhere_traces_to_itself(plant: tracelot.Tracelot) -> None:
    fwd = plant.trace_forward("PCB:B09").to_dict()
    assert fwd["roots"][0]["outputs"] == []
    assert [(a["serial"], a["status"]) for a in fwd["affected"]] == [("B09", "in_stock")]


def test_trace_through_the_cli_as_json_csv_and_picture(
    plant: tracelot.Tracelot, cli: Cli, tmp_path
) -> None:
    plant.build("DEV", to="LINE", serial="D1", consume=["PCB:B01", "CELL@L1=2"])
    plant.ship("DEV:D1", to="ACME", reference="SO-9")
    data = cli(
        "trace", "forward", "--supplier", "CELLCO", "--supplier-lot", "CC-9", "--json"
    ).json()
    assert {r["ref"] for r in data["roots"]} == {"CELL@L1", "CELL@L2"}
    shipped = [a for a in data["affected"] if a["status"] == "shipped"]
    assert shipped == [
        shipped[0]
        | {"item": "DEV", "serial": "D1", "customer": "ACME", "shipment_ref": "SO-9", "qty": 1}
    ]
    out = cli("trace", "forward", "CELL@L1", "--csv")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [(r["item"], r["serial"], r["status"], r["customer"]) for r in rows] == [
        ("CELL", "", "in_stock", ""),
        ("CELL", "", "consumed", ""),
        ("DEV", "D1", "shipped", "ACME"),
    ]
    picture = tmp_path / "trace.svg"
    out = cli("trace", "backward", "DEV:D1", "--tree", "--svg", str(picture))
    assert out.exit_code == 0 and "DEV:D1" in out.stdout and "CELL@L1" in out.stdout
    assert "build #" in out.stdout and "affected" in out.stdout  # the tree, then the list
    # without --tree, the list alone, from the database: no tree is built
    listed = cli("trace", "backward", "DEV:D1")
    assert listed.exit_code == 0 and "affected" in listed.stdout and "build #" not in listed.stdout
    assert "CELL" in listed.stdout and "CC-9" in listed.stdout  # its supplier lot
    assert "--tree" in listed.stderr
    both = cli("trace", "backward", "DEV:D1", "--tree", "--csv")
    assert both.exit_code == 2 and "one of --tree" in both.stderr
    svg = picture.read_text()
    assert svg.lstrip().startswith(("<?xml", "<svg", "<!--")) and ">D1<" in svg
    png = tmp_path / "trace.png"
    assert cli("trace", "forward", "CELL@L1", "--svg", str(png)).exit_code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_trace_requests_are_refused(plant: tracelot.Tracelot, refused) -> None:
    refused("trace", "backward", "PCB:NOPE", match="unknown unit")
    refused("trace", "forward", match="name what to trace")
    refused("trace", "forward", "--supplier", "CELLCO", match="both --supplier and")
    refused(
        "trace",
        "forward",
        "--supplier",
        "CELLCO",
        "--supplier-lot",
        "ZZ",
        match="no lot or unit came from CELLCO",
    )
    refused("trace", "backward", "SCREW", match="trace a unit")
    refused("trace", "backward", "PCB:B01", "--depth", "0", match="at least 1")
    refused("trace", "backward", "PCB:B01", "--svg", "x.gif", match=".svg or .png")


def test_a_lot_of_serialized_units_traces_forward_through_its_units(
    plant: tracelot.Tracelot,
) -> None:
    # packs that carry a lot and serials, like pharmaceutical packs: GTIN, lot and serial
    plant.add_item("MODULE", name="Module", tracking="serial")
    plant.receive("MODULE", to="WH", lot="M7", serials="C1..C3", supplier="CELLCO")
    plant.build("DEV", to="LINE", serial="D1", consume=["MODULE:C1", "PCB:B01"])
    plant.build("DEV", to="LINE", serial="D2", consume=["MODULE:C2"])
    plant.ship("DEV:D1", to="ACME", reference="SO-1")
    ahead = plant.trace_forward("MODULE@M7")
    assert {c.ref for c in ahead.roots[0].children} == {"DEV:D1", "DEV:D2"}
    assert ("DEV", "D1", "shipped", "ACME") in {
        (a["item"], a["serial"], a["status"], a["customer"]) for a in ahead.affected
    }
    recall = plant.recall_open(refs=["MODULE@M7"], reason="bad modules")
    assert [(n["customer"], n["serial"]) for n in recall["notify"]] == [("ACME", "D1")]


def test_units_of_a_lot_in_one_build_are_one_edge_with_their_quantity(
    plant: tracelot.Tracelot,
) -> None:
    plant.add_item("MODULE", name="Module", tracking="serial")
    built = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    received = built - dt.timedelta(hours=1)
    plant.receive("MODULE", to="WH", lot="M7", serials="C1..C4", supplier="CELLCO", at=received)
    plant.build(
        "DEV", to="LINE", serial="D1", consume=["MODULE:C1", "MODULE:C2", "MODULE:C3"], at=built
    )
    plant.build("DEV", to="LINE", serial="D2", consume=["MODULE:C4"], at=built)
    root = plant.trace_forward("MODULE@M7").to_dict()["roots"][0]
    assert refs(root, "outputs") == {"DEV:D1 x3": {}, "DEV:D2 x1": {}}
    # a unit traced on its own still shows its own edge
    alone = plant.trace_forward("MODULE:C2").to_dict()["roots"][0]
    assert refs(alone, "outputs") == {"DEV:D1 x1": {}}
    # one of the three taken out by a repair is an edge of its own, with its removal
    plant.replace("DEV:D1", remove="MODULE:C3", install="PCB:B02")
    outputs = plant.trace_forward("MODULE@M7").to_dict()["roots"][0]["outputs"]
    assert sorted((o["ref"], o["qty"], o["removed"] is not None) for o in outputs) == [
        ("DEV:D1", 1, True),
        ("DEV:D1", 2, False),
        ("DEV:D2", 1, False),
    ]
    # as of a moment before the repair, the build is one edge again, with all three
    before = plant.trace_forward("MODULE@M7", as_of=built).to_dict()["roots"][0]
    assert refs(before, "outputs") == {"DEV:D1 x3": {}, "DEV:D2 x1": {}}


def test_a_supplier_lot_of_thousands_of_units_traces_in_one_query(
    plant: tracelot.Tracelot,
) -> None:
    plant.receive("PCB", to="WH", serials="X0001..X3000", supplier="PCBCO", supplier_lot="PH-9")
    plant.build("DEV", to="LINE", serial="D1", consume=["PCB:X2999"])
    ahead = plant.trace_forward(supplier="PCBCO", supplier_lot="PH-9")
    assert len(ahead.roots) == 3000
    assert [c.ref for r in ahead.roots for c in r.children] == ["DEV:D1"]


def test_the_affected_list_written_by_the_database_is_the_trees(
    plant: tracelot.Tracelot, cli: Cli, refused
) -> None:
    """`--jsonl` and `--csv` are written by one statement in the database, the tree is
    walked in Python: the same rows, whatever became of the stock (built, repaired,
    shipped to two customers and partly returned, sent back to the supplier, held), as of
    a moment and to a depth."""
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    plant.build("PACK", to="LINE", serial="P1", consume=["PCB:B01", "CELL@L1=4", "SCREW=2"],
                at=long_ago)  # fmt: skip
    plant.replace("PACK:P1", remove="PCB:B01", install="PCB:B03", to="WH")
    plant.build("DEV", to="LINE", serial="D1", consume=["PACK:P1"])
    plant.ship("DEV:D1", to="ACME", reference="SO-1")
    plant.ship("CELL@L1", qty=10, to="ACME", reference="SO-2")
    plant.ship("CELL@L1", qty=5, to="GLOBEX", reference="SO-3")
    plant.return_("CELL@L1", from_customer="GLOBEX", to="QUAR", qty=2)
    # text the CSV must quote, as csv.writer does: a comma, a quote, a line break
    plant.add_party("INITECH", name='Initech, "West"\nDock 4', kind="customer")
    plant.ship("CELL@L1", qty=1, to="INITECH", reference='PO "77", rush')
    plant.return_to_supplier("CELL@L1", qty=3, to="CELLCO", from_="WH")
    plant.build("PACK", to="LINE", serial="P2", consume=["CELL@L2=1"])
    # a lot of serialized packs, built: traced back, its units' components are its own
    plant.add_item("SPACK", name="Pack in lots", tracking="serial")
    plant.build("SPACK", to="LINE", serial="S1", lot="PL1", consume=["PCB:B04", "CELL@L3=2"])
    plant.build("SPACK", to="LINE", serial="S2", lot="PL1", consume=["PCB:B05"])
    # fractions SQLite adds as floats: 0.1 + 1.1 - 0.2 at the customer is 1, 0.1 + 0.2 -
    # 0.3 is nothing (no row)
    plant.add_item("FLOUR", name="Flour", tracking="lot", uom="kg")
    plant.receive("FLOUR", to="WH", lot="F1", qty=5)
    for qty, whom in (("0.1", "ACME"), ("1.1", "ACME"), ("0.1", "GLOBEX"), ("0.2", "GLOBEX")):
        plant.ship("FLOUR@F1", qty=qty, to=whom, reference="SO-F", from_="WH")
    plant.return_("FLOUR@F1", from_customer="ACME", to="QUAR", qty="0.2")
    plant.return_("FLOUR@F1", from_customer="GLOBEX", to="QUAR", qty="0.3")
    plant.hold("PCB:B03", reason="inspect")
    plant.hold("CELL@L2", reason="inspect")
    scopes = [
        ("forward", "CELL@L1"), ("forward", "PCB:B01"), ("forward", "--supplier", "CELLCO",
        "--supplier-lot", "CC-9"), ("backward", "DEV:D1"), ("backward", "PACK:P2"),
        ("forward", "CELL@L1", "--depth", "1"), ("backward", "DEV:D1", "--depth", "1"),
        ("forward", "PCB:B01", "--as-of", long_ago.date().isoformat()),
        ("backward", "PACK:P1", "--as-of", (long_ago - dt.timedelta(days=1)).date().isoformat()),
        ("forward", "PCB:B01", "--depth", "1", "--as-of", long_ago.date().isoformat()),
        ("forward", "CELL@L1", "--depth", "2", "--as-of", long_ago.date().isoformat()),
        ("backward", "SPACK@PL1"), ("forward", "FLOUR@F1"),
    ]  # fmt: skip
    for scope in scopes:
        tree = cli("trace", *scope, "--json").json()["affected"]
        out = cli("trace", *scope, "--jsonl")
        assert out.exit_code == 0, out.stderr
        listed = [json.loads(line) for line in out.stdout.splitlines()]
        assert sorted(map(repr, listed)) == sorted(map(repr, tree)), scope
        written = cli("trace", *scope, "--csv").stdout
        table = list(csv.DictReader(io.StringIO(written, newline="")))
        again = io.StringIO()  # quoted as Python's csv.writer does, to the byte
        csv.writer(again, lineterminator="\n").writerows(
            [table[0].keys() if table else [], *(r.values() for r in table)]
        )
        assert not table or written.replace("\r\n", "\n") == again.getvalue(), scope
        assert [{**r, "held": None} for r in table] == [
            {k: "" if v is None else str(v) for k, v in r.items()} | {"held": None} for r in listed
        ], scope
    everything = {(r["item"], r["serial"] or r["lot"], r["status"], r["customer"] or r["supplier"],
                   r["qty"], r["held"]) for r in listed_of(cli, "forward", "CELL@L1")}  # fmt: skip
    assert everything == {
        ("CELL", "L1", "shipped", "ACME", 10, False), ("CELL", "L1", "shipped", "GLOBEX", 3, False),
        ("CELL", "L1", "returned_to_supplier", "CELLCO", 3, False),
        ("CELL", "L1", "in_stock", None, 77, False), ("CELL", "L1", "in_stock", None, 2, False),
        ("CELL", "L1", "shipped", "INITECH", 1, False),
        ("CELL", "L1", "consumed", None, 4, False), ("DEV", "D1", "shipped", "ACME", 1, False),
        ("PACK", "P1", "consumed", None, 1, False),
    }  # fmt: skip
    assert ("PCB", "B03", "in_stock", None, 1, True) not in everything  # not reached from L1
    flour = {(r["status"], r["customer"], r["qty"]) for r in listed_of(cli, "forward", "FLOUR@F1")}
    assert flour == {("in_stock", None, 3.5), ("in_stock", None, 0.5), ("shipped", "ACME", 1)}
    assert {r["serial"] or r["lot"] for r in listed_of(cli, "backward", "SPACK@PL1")} == {
        "PL1", "B04", "B05", "L3"}  # fmt: skip
    assert ("PCB", "B03", "consumed", None, 1, True) in {
        (r["item"], r["serial"], r["status"], r["customer"], r["qty"], r["held"])
        for r in listed_of(cli, "backward", "DEV:D1")
    }
    # backward, each row says where it came from: supplier, supplier's lot, receipt
    origins = {(r["item"], r["serial"] or r["lot"]): (r["received_from"], r["supplier_lot"],
               r["receipt"], r["receipt_date"] is not None)
               for r in listed_of(cli, "backward", "DEV:D1")}  # fmt: skip
    assert origins[("CELL", "L1")][:2] == ("CELLCO", "CC-9")
    assert origins[("PCB", "B03")][:2] == ("PCBCO", "PH-1")
    for ref, item in ((("PCB", "B03"), "PCB"), (("CELL", "L1"), "CELL")):
        receipt = plant.operation(origins[ref][2])
        assert receipt.kind == "receive" and receipt.lines[0].item == item, ref
        assert origins[ref][3]  # with its date
    assert origins[("PACK", "P1")] == (None, None, None, False)  # built here, not received
    header = cli("trace", "backward", "DEV:D1", "--csv").stdout.splitlines()[0].split(",")
    assert header[-4:] == ["received_from", "supplier_lot", "receipt", "receipt_date"]
    assert "receipt" not in cli("trace", "forward", "CELL@L1", "--csv").stdout.splitlines()[0]
    # one format at a time; an unknown reference writes nothing
    assert cli("trace", "forward", "CELL@L1", "--csv", "--jsonl").exit_code == 2
    assert cli("trace", "forward", "CELL@L1", "--json", "--jsonl").exit_code == 2
    refused("trace", "forward", "CELL@NOPE", "--jsonl", match="has no lot")
    assert cli("trace", "forward", "CELL@NOPE", "--csv").stdout == ""


def listed_of(cli: Cli, *scope: str) -> list[dict]:
    return [json.loads(line) for line in cli("trace", *scope, "--jsonl").stdout.splitlines()]


def test_a_page_of_a_big_trace_builds_no_list_of_its_own(plant: tracelot.Tracelot) -> None:
    """The web page shows its rows from the database and colours only a tree small
    enough to draw by the tree's own list: beyond that many nodes, no list is built."""
    for n in range(1, 4):
        plant.build("PACK", to="LINE", serial=f"P{n}", consume=["CELL@L1=1"])
    small = plant.trace_overview("forward", "CELL@L1", levels=5, list_up_to=4)
    assert {(r["item"], r["serial"]) for r in small["trace"].affected} >= {("PACK", "P3")}
    big = plant.trace_overview("forward", "CELL@L1", levels=5, list_up_to=3)
    assert big["trace"].affected == [] and len(big["trace"].roots[0].children) == 3
    assert big["total"] == small["total"] and len(big["rows"]) == len(small["rows"]) > 3
