"""Packing into cases and pallets with SSCCs (issue 20, point 3): the company's GS1 prefix
set once; `pack` puts units, lot quantities and cases into a logistic unit (nested to any
depth), `unpack` takes them out; an SSCC is a REF for `where`, `move`, `ship` and scans,
which act on everything inside; packed stock goes only with its case; the SSCC label, the
packing slip; through the CLI, the API and the Python API; refusals change nothing;
`verify` stays clean."""

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import Cli, Outcome, from_state
from fastapi.testclient import TestClient

import tracelot
from tracelot.domain.errors import InvalidInput
from tracelot.domain.scan import parse_scan
from tracelot.domain.sscc import check_sscc, gs1_check_digit, make_sscc
from tracelot.server import Settings, create_app

PREFIX = "/api/v1"
COMPANY = "0614141"
GTIN = "09506000134352"


def _ok(out: Outcome) -> Outcome:
    assert out.exit_code == 0, (out.stdout, out.stderr)
    return out


@pytest.fixture
def packing_world(setup_basics: Cli, db_url: str, tmp_path_factory) -> Cli:
    """The basic world with the company prefix set and stock at WH/A1 and WH/A2."""
    from_state("packing_world", db_url, tmp_path_factory, lambda: _packing_world(setup_basics))
    return setup_basics


def _packing_world(cli: Cli) -> None:
    for args in [
        ("location", "add", "DOCK", "--parent", "WH"),
        ("item", "gtin", "add", "PCB", GTIN),
        ("receive", "PCB", "--to", "A1", "--serials", "S01..S10"),
        ("receive", "PCB", "--to", "A2", "--serials", "S11..S12"),
        ("receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "100", "--expires", "2099-01-01"),
        ("receive", "CELL", "--to", "A2", "--lot", "L1", "--qty", "10", "--expires", "2099-01-01"),
        ("receive", "SCREW", "--to", "A1", "--qty", "500"),
        ("settings", "set", "gs1_company_prefix", COMPANY),
    ]:
        _ok(cli(*args))


# -- SSCCs and settings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extension", "prefix", "ref", "sscc"),
    [
        ("1", "0614141", 234567890, "106141412345678908"),  # GS1's own example of an SSCC
        ("0", "0614141", 1, "006141410000000012"),
        ("0", "123456789012", 7, "012345678901200077"),
    ],
)
def test_an_sscc_is_the_extension_prefix_serial_reference_and_gs1_check_digit(
    extension: str, prefix: str, ref: int, sscc: str
) -> None:
    assert make_sscc(prefix, ref, extension) == sscc
    assert parse_scan(f"(00){sscc}").sscc == sscc  # the scanner's own check agrees
    assert check_sscc(sscc) == sscc
    assert gs1_check_digit(sscc[:-1]) == sscc[-1]


def test_a_wrong_check_digit_or_length_is_not_an_sscc() -> None:
    with pytest.raises(InvalidInput, match="check digit"):
        check_sscc("006141411234567891")
    with pytest.raises(InvalidInput, match="18 digits"):
        check_sscc("0061414112345678")
    with pytest.raises(InvalidInput, match="used up"):
        make_sscc("123456789012", 10**5)


def test_settings_are_shown_and_the_gs1_prefix_is_checked(
    setup_basics: Cli, refused: Callable[..., Outcome]
) -> None:
    cli = setup_basics
    shown = {r["key"]: r["value"] for r in _ok(cli("settings", "show", "--json")).json()}
    assert shown["gs1_company_prefix"] is None
    refused("settings", "set", "gs1_company_prefix", "12345", match="6-12 digits")
    refused("settings", "set", "gs1_company_prefix", "12345678901234", match="6-12 digits")
    refused("settings", "set", "gs1_company_prefix", "06141A1", match="6-12 digits")
    refused("settings", "set", "GS1Prefix", "0614141", match="snake_case")
    refused("settings", "set", "colour", "blue", match="unknown setting")
    refused("pack", "PCB:S01", "--new", "case", match="gs1_company_prefix")
    row = _ok(cli("settings", "set", "gs1_company_prefix", COMPANY, "--json")).json()
    assert (row["key"], row["value"], row["user"]) == ("gs1_company_prefix", COMPANY, "tester")
    _ok(cli("settings", "set", "gs1_company_prefix", "0614142"))  # changed: set again
    shown = {r["key"]: r["value"] for r in _ok(cli("settings", "show", "--json")).json()}
    assert shown["gs1_company_prefix"] == "0614142"
    assert "gs1_company_prefix" in _ok(cli("settings", "show")).stdout


# -- packing, nesting, where -------------------------------------------------------------------


def test_packing_units_and_a_lot_quantity_into_a_new_case_and_cases_onto_a_pallet(
    packing_world: Cli,
) -> None:
    cli = packing_world
    case = _ok(cli("pack", "PCB:S01", "PCB:S02", "CELL@L1=30", "--new", "case",
                   "--reference", "ORD-1", "--json")).json()  # fmt: skip
    assert (case["kind"], case["lu_kind"], case["logistic_unit"]) == ("pack", "case", 1)
    assert case["sscc"] == make_sscc(COMPANY, 1)
    assert (case["location"], case["status"], case["reference"]) == ("A1", "in_stock", "ORD-1")
    assert {(c["kind"], c["item"], c["serial"], c["lot"], c["qty"]) for c in case["contents"]} == {
        ("unit", "PCB", "S01", None, 1),
        ("unit", "PCB", "S02", None, 1),
        ("lot", "CELL", "L1", "L1", 30),
    } or {(c["kind"], c["item"], c["serial"], c["lot"], c["qty"]) for c in case["contents"]} == {
        ("unit", "PCB", "S01", None, 1),
        ("unit", "PCB", "S02", None, 1),
        ("lot", "CELL", None, "L1", 30),
    }
    other = _ok(cli("pack", "PCB:S03", "SCREW=100", "--new", "case", "--json")).json()
    pallet = _ok(cli("pack", case["sscc"], other["sscc"], "--new", "pallet", "--json")).json()
    assert pallet["lu_kind"] == "pallet"
    assert [(c["kind"], c["sscc"]) for c in pallet["contents"]] == [
        ("sscc", case["sscc"]), ("sscc", other["sscc"]),
    ]  # fmt: skip
    assert pallet["contents"][0]["contents"][0]["serial"] == "S01"  # nested, with its own
    # more into an existing case, named by a scan of its SSCC (AI 00)
    more = _ok(cli("pack", "PCB:S04", "--into", f"(00){case['sscc']}", "--json")).json()
    assert more["lines"] == [{"item": "PCB", "lot": None, "qty": 1, "serials": ["S04"],
                              "into": case["sscc"]}]  # fmt: skip
    # where: the SSCC, and a unit or lot inside one names its SSCC
    where = _ok(cli("where", pallet["sscc"], "--json")).json()
    assert (where[0]["sscc"], where[0]["location"], where[0]["totals"]["ssccs"]) == (
        pallet["sscc"], "A1", 2)  # fmt: skip
    assert _ok(cli("where", "PCB:S01", "--json")).json()[0]["sscc"] == case["sscc"]
    assert _ok(cli("where", "PCB:S05", "--json")).json()[0]["sscc"] is None
    lot = {r["location"]: r for r in _ok(cli("where", "CELL@L1", "--json")).json()}
    assert lot["A1"]["sscc"] == case["sscc"] and lot["A1"]["packed"] == [
        {"sscc": case["sscc"], "qty": 30}
    ]
    assert lot["A2"]["sscc"] is None
    tree = _ok(cli("where", pallet["sscc"])).stdout
    assert case["sscc"] in tree and "PCB:S01" in tree and "30 CELL@L1" in tree
    listed = _ok(cli("lu", "list", "--json")).json()
    assert [(r["logistic_unit"], r["kind"], r["in"]) for r in listed] == [
        (1, "case", pallet["sscc"]), (2, "case", pallet["sscc"]), (3, "pallet", None),
    ]  # fmt: skip
    assert _ok(cli("lu", "show", "1", "--json")).json()["sscc"] == case["sscc"]
    history = [r["kind"] for r in _ok(cli("history", "PCB:S01", "--json")).json()]
    assert history == ["receive", "pack"]
    assert _ok(cli("verify")).exit_code == 0


def test_a_code_of_18_digits_among_sscc_is_its_item_not_an_sscc(packing_world: Cli) -> None:
    """A run of digits is the code an item or a location has before it is an SSCC, also
    when many REFs are read together (their codes looked up at once)."""
    cli = packing_world
    code = make_sscc(COMPANY, 999)  # an item called by what reads as an SSCC
    _ok(cli("item", "add", code, "--name", "Digits", "--tracking", "none"))
    _ok(cli("receive", code, "--to", "A1", "--qty", "20"))
    case = _ok(cli("pack", "PCB:S01", "--new", "case", "--json")).json()
    pallet = _ok(cli("pack", case["sscc"], f"{code}=5", "--new", "pallet", "--json")).json()
    assert sorted((c["kind"], c.get("sscc") or c["item"]) for c in pallet["contents"]) == [
        ("item", code), ("sscc", case["sscc"])]  # fmt: skip
    refused = cli("pack", make_sscc(COMPANY, 998), case["sscc"], "--new", "pallet")
    assert refused.exit_code == 1 and "998" in refused.stderr  # an SSCC no case has


def test_moving_a_pallet_moves_everything_inside_and_shipping_it_ships_it(
    packing_world: Cli,
) -> None:
    cli = packing_world
    case = _ok(cli("pack", "PCB:S01", "PCB:S02", "CELL@L1=30", "--new", "case", "--json")).json()
    pallet = _ok(cli("pack", case["sscc"], "PCB:S03", "--new", "pallet", "--json")).json()
    moved = _ok(cli("move", pallet["sscc"], "--to", "DOCK", "--json")).json()
    assert {(ln["item"], ln["from"], ln["to"], ln["qty"]) for ln in moved["lines"]} == {
        ("PCB", "WH/A1", "WH/DOCK", 3), ("CELL", "WH/A1", "WH/DOCK", 30),
    }  # fmt: skip
    assert _ok(cli("where", "PCB:S02", "--json")).json()[0]["location"] == "DOCK"
    assert _ok(cli("lu", "show", case["sscc"], "--json")).json()["location"] == "DOCK"
    _ok(cli("verify"))
    shipped = _ok(cli("ship", pallet["sscc"], "--to", "ACME", "--reference", "SO-7",
                      "--json")).json()  # fmt: skip
    assert shipped["party"] == "ACME"
    assert {(ln["item"], ln["to"], ln["qty"]) for ln in shipped["lines"]} == {
        ("PCB", "CUSTOMER", 3), ("CELL", "CUSTOMER", 30),
    }  # fmt: skip
    unit = _ok(cli("where", "PCB:S01", "--json")).json()[0]
    assert (unit["status"], unit["customer"], unit["sscc"]) == ("shipped", "ACME", case["sscc"])
    shown = _ok(cli("lu", "show", pallet["sscc"], "--json")).json()
    assert (shown["status"], shown["customer"]) == ("shipped", "ACME")
    assert _ok(cli("lu", "list", "--json")).json() == []  # none on hand
    assert len(_ok(cli("lu", "list", "--all", "--json")).json()) == 2
    _ok(cli("verify"))


def test_voiding_a_move_or_shipment_of_a_pallet_takes_the_pallet_back_with_its_contents(
    packing_world: Cli, refused: Callable[..., Outcome]
) -> None:
    cli = packing_world
    case = _ok(cli("pack", "PCB:S01", "CELL@L1=30", "--new", "case", "--json")).json()
    pallet = _ok(cli("pack", case["sscc"], "PCB:S03", "--new", "pallet", "--json")).json()
    moved = _ok(cli("move", pallet["sscc"], "--to", "DOCK", "--json")).json()
    shipped = _ok(cli("ship", pallet["sscc"], "--to", "ACME", "--json")).json()
    refused("void", str(moved["id"]), "--reason", "wrong dock",
            match=f"ship {shipped['id']}")  # the pallet has gone on since  # fmt: skip
    _ok(cli("void", str(shipped["id"]), "--reason", "not sent"))
    for sscc in (pallet["sscc"], case["sscc"]):
        shown = _ok(cli("lu", "show", sscc, "--json")).json()
        assert (shown["location"], shown["status"], shown["customer"]) == ("DOCK", "in_stock",
                                                                            None)  # fmt: skip
    assert [c["sscc"] for c in _ok(cli("lu", "show", pallet["sscc"], "--json")).json()
            ["contents"] if c["kind"] == "sscc"] == [case["sscc"]]  # fmt: skip
    unit = _ok(cli("where", "PCB:S01", "--json")).json()[0]
    assert (unit["location"], unit["sscc"]) == ("DOCK", case["sscc"])
    _ok(cli("verify"))
    _ok(cli("void", str(moved["id"]), "--reason", "wrong dock"))
    assert _ok(cli("lu", "show", case["sscc"], "--json")).json()["location"] == "A1"
    assert [(r["location"], r["qty"], r["sscc"]) for r in _ok(cli("where", "CELL@L1", "--json"))
            .json() if r["location"] == "A1"] == [("A1", 100, case["sscc"])]  # fmt: skip
    _ok(cli("verify"))
    # packed onto another pallet since: the move is not voided, the pack is named
    _ok(cli("unpack", pallet["sscc"]))
    moved = _ok(cli("move", case["sscc"], "--to", "DOCK", "--json")).json()
    other = _ok(cli("pack", case["sscc"], "--new", "pallet", "--json")).json()
    refused("void", str(moved["id"]), "--reason", "wrong dock",
            match=f"pack {other['id']} (SSCC {case['sscc']})")  # fmt: skip
    # unpacked again, the case is as the move left it: the void goes through
    _ok(cli("unpack", other["sscc"]))
    _ok(cli("void", str(moved["id"]), "--reason", "wrong dock"))
    assert _ok(cli("lu", "show", case["sscc"], "--json")).json()["location"] == "A1"
    _ok(cli("verify"))
    # more packed into the case where the move took it: not voided, why said
    moved = _ok(cli("move", case["sscc"], "--to", "DOCK", "--json")).json()
    _ok(cli("move", "PCB:S04", "--to", "DOCK"))
    packed = _ok(cli("pack", "PCB:S04", "--into", case["sscc"], "--json")).json()
    refused("void", str(moved["id"]), "--reason", "wrong dock", match=f"pack {packed['id']}")
    _ok(cli("verify"))


def test_voiding_the_return_of_a_unit_from_a_shipped_case_puts_it_back_in_the_case(
    packing_world: Cli, refused: Callable[..., Outcome]
) -> None:
    """A unit that came back from a shipped case left it; the return voided, it is in its
    case again at the customer, and the shipment, voided, brings the case back whole."""
    cli = packing_world
    case = _ok(cli("pack", "PCB:S01", "PCB:S02", "--new", "case", "--json")).json()["sscc"]
    shipped = _ok(cli("ship", case, "--to", "ACME", "--json")).json()
    back = _ok(cli("return", "PCB:S01", "--from", "ACME", "--to", "A1", "--json")).json()
    assert _ok(cli("where", "PCB:S01", "--json")).json()[0]["sscc"] is None
    refused("void", str(shipped["id"]), "--reason", "not sent", match=f"return {back['id']}")
    _ok(cli("void", str(back["id"]), "--reason", "did not come back"))
    unit = _ok(cli("where", "PCB:S01", "--json")).json()[0]
    assert (unit["status"], unit["sscc"]) == ("shipped", case)
    _ok(cli("verify"))
    _ok(cli("void", str(shipped["id"]), "--reason", "not sent"))
    shown = _ok(cli("lu", "show", case, "--json")).json()
    assert (shown["location"], sorted(c["serial"] for c in shown["contents"])) == (
        "A1", ["S01", "S02"])  # fmt: skip
    _ok(cli("verify"))


def test_a_unit_named_beside_its_case_or_a_quantity_for_cases_alone_is_refused(
    packing_world: Cli, refused: Callable[..., Outcome]
) -> None:
    cli = packing_world
    case = _ok(cli("pack", "PCB:S01", "PCB:S02", "--new", "case", "--json")).json()["sscc"]
    for verb in (("move", "--to", "DOCK"), ("ship", "--to", "ACME")):
        refused(verb[0], case, "PCB:S01", *verb[1:],
                match=f"PCB:S01 is packed in SSCC {case}, which goes whole")  # fmt: skip
        refused(verb[0], case, *verb[1:], "--qty", "1", match="--qty counts lots and items")
    _ok(cli("move", case, "CELL@L1", "--qty", "5", "--to", "DOCK"))  # --qty for the lot
    assert _ok(cli("where", "PCB:S02", "--json")).json()[0]["location"] == "DOCK"
    assert [(r["location"], r["qty"]) for r in _ok(cli("where", "CELL@L1", "--json")).json()
            if r["location"] == "DOCK"] == [("DOCK", 5)]  # fmt: skip
    _ok(cli("verify"))


def test_a_case_of_units_of_an_item_without_a_cost_moves_and_ships(packing_world: Cli) -> None:
    """An item need not have a cost: its units in a case are valued at 0, as loose ones
    are (this was a traceback)."""
    cli = packing_world
    _ok(cli("item", "add", "TAG", "--name", "Tag", "--tracking", "serial"))
    _ok(cli("receive", "TAG", "--to", "A1", "--serials", "T1,T2"))
    case = _ok(cli("pack", "TAG:T1", "TAG:T2", "--new", "case", "--json")).json()["sscc"]
    moved = _ok(cli("move", case, "--to", "DOCK", "--json")).json()
    assert [(ln["item"], ln["qty"], ln["serials"]) for ln in moved["lines"]] == [
        ("TAG", 2, ["T1", "T2"])
    ]
    shipped = _ok(cli("ship", case, "--to", "ACME", "--json")).json()
    assert [(ln["item"], ln["to"], ln["qty"]) for ln in shipped["lines"]] == [
        ("TAG", "CUSTOMER", 2)
    ]
    _ok(cli("verify"))


def test_a_fraction_of_an_item_counted_in_eaches_is_neither_packed_nor_unpacked(
    packing_world: Cli, refused
) -> None:
    cli = packing_world
    refused("pack", "CELL@L1=1.5", "--new", "case", "--at", "A1", match="not a whole number")
    case = _ok(cli("pack", "CELL@L1=2", "--new", "case", "--at", "A1", "--json")).json()["sscc"]
    refused("unpack", case, "CELL@L1=0.5", match="not a whole number")
    shown = _ok(cli("lu", "show", case, "--json")).json()
    assert [(c["item"], c["qty"]) for c in shown["contents"]] == [("CELL", 2)]


def test_verify_names_a_lot_packed_in_cases_beyond_what_is_there(
    packing_world: Cli, db_url: str
) -> None:
    """A case's lot quantity is part of its place's balance: `verify` names a balance
    found below what cases hold there (here lowered behind tracelot's back), by codes."""
    from sqlalchemy import create_engine, text

    cli = packing_world
    _ok(cli("pack", "CELL@L1=30", "--new", "case", "--at", "A1"))
    _ok(cli("verify"))
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE stock SET qty = 1 WHERE location_id = "
                          "(SELECT id FROM locations WHERE code = 'A1') AND lot_id = "
                          "(SELECT id FROM lots WHERE code = 'L1')"))  # fmt: skip
    engine.dispose()
    out = cli("verify")
    assert out.exit_code == 1
    assert "CELL@L1: 30 packed in cases at WH/A1, 1 there" in out.stdout + out.stderr


def test_a_unit_no_longer_on_hand_is_not_packed(packing_world: Cli, refused) -> None:
    cli = packing_world
    _ok(cli("ship", "PCB:S05", "--to", "ACME"))
    refused("pack", "PCB:S05", "--new", "case", match="PCB:S05 is already shipped to ACME")


def test_packed_stock_goes_only_with_its_case(
    packing_world: Cli, refused: Callable[..., Outcome]
) -> None:
    cli = packing_world
    case = _ok(cli("pack", "PCB:S01", "CELL@L1=95", "--new", "case", "--json")).json()
    refused("move", "PCB:S01", "--to", "DOCK", match=f"packed in SSCC {case['sscc']}")
    refused("ship", "PCB:S01", "--to", "ACME", match="packed in SSCC")
    refused("scrap", "PCB:S01", "--reason", "dropped", match="packed in SSCC")
    refused("move", "CELL@L1", "--qty", "6", "--from", "A1", "--to", "DOCK",
            match="5 available (not counting CELL@L1 packed in cases)")  # fmt: skip
    # without --from, what is packed is passed over: the loose 5 at A1, then 3 at A2
    _ok(cli("move", "CELL@L1", "--qty", "8", "--to", "DOCK"))
    cells = {r["location"]: r["qty"] for r in _ok(cli("where", "CELL@L1", "--json")).json()}
    assert cells == {"A1": 95, "A2": 7, "DOCK": 8}
    refused("pack", "PCB:S01", "--new", "case", match="packed in SSCC")
    refused("pack", "CELL@L1=1", "--into", case["sscc"], match="not packed")
    refused("pack", "PCB:S11", "--into", case["sscc"], match="move it there first")
    refused("pack", case["sscc"], "--into", case["sscc"], match="into itself")
    wrong = make_sscc(COMPANY, 99)[:-1] + str((int(make_sscc(COMPANY, 99)[-1]) + 1) % 10)
    refused("pack", "PCB:S02", "--into", wrong, match="check digit")
    refused("pack", "PCB:S02", "--into", make_sscc(COMPANY, 99), match="no case or pallet")
    refused("pack", "PCB:S02", "PCB:S02", "--new", "case", match="named twice")
    refused("pack", "PCB:S02", "PCB:S11", "--new", "case", match="move it there first")
    refused("pack", "PCB:S02", "PCB:S01", "--new", "case", match="packed in SSCC")
    refused("pack", "PCB:S02", "PCB:NOPE", "--new", "case", match="NOPE")
    refused("pack", "PCB:S02", "--new", "box", match="case or a pallet")
    refused("pack", "PCB:S02", "--new", "case", "--into", case["sscc"], match="say where")
    refused("pack", "CELL@L1=1000", "--at", "A2", "--new", "case", match="not enough")
    refused("pack", "CELL", "--new", "case", "--at", "A1", match="lot-tracked")
    refused("unpack", case["sscc"], "PCB:S02", match="not packed in SSCC")
    refused("unpack", case["sscc"], "CELL@L1=96", match="holds 95")
    pallet = _ok(cli("pack", case["sscc"], "--new", "pallet", "--json")).json()
    refused("pack", pallet["sscc"], "--into", case["sscc"], match="inside SSCC")
    refused("move", case["sscc"], "--to", "DOCK", match=f"inside SSCC {pallet['sscc']}")
    refused("move", pallet["sscc"], "--to", "A1", match="already at")
    _ok(cli("hold", "CELL@L1", "--reason", "suspect"))
    refused("ship", pallet["sscc"], "--to", "ACME", match="held")
    _ok(cli("verify"))


def test_unpacking_takes_out_what_is_named_or_everything(packing_world: Cli) -> None:
    cli = packing_world
    case = _ok(cli("pack", "PCB:S01", "PCB:S02", "CELL@L1=30", "--new", "case", "--json")).json()
    pallet = _ok(cli("pack", case["sscc"], "--new", "pallet", "--json")).json()
    # a unit deep inside the pallet, and part of a lot quantity
    out = _ok(cli("unpack", pallet["sscc"], "PCB:S01", "CELL@L1=10", "--json")).json()
    assert out["kind"] == "unpack"
    assert {(ln.get("item"), ln["qty"]) for ln in out["lines"]} == {("PCB", 1), ("CELL", 10)}
    _ok(cli("move", "PCB:S01", "--to", "DOCK"))  # loose again: it moves alone
    _ok(cli("move", "CELL@L1", "--qty", "80", "--from", "A1", "--to", "DOCK"))
    left = _ok(cli("lu", "show", case["sscc"], "--json")).json()
    assert {(c["item"], c["qty"]) for c in left["contents"]} == {("PCB", 1), ("CELL", 20)}
    everything = _ok(cli("unpack", pallet["sscc"], "--json")).json()  # the case, whole
    assert everything["lines"] == [{"sscc": case["sscc"], "qty": 1, "out_of": pallet["sscc"]}]
    assert _ok(cli("lu", "show", case["sscc"], "--json")).json()["in"] is None
    _ok(cli("unpack", case["sscc"]))
    assert _ok(cli("lu", "show", case["sscc"], "--json")).json()["contents"] == []
    assert _ok(cli("where", "PCB:S02", "--json")).json()[0]["sscc"] is None
    _ok(cli("pack", "PCB:S02", "--into", case["sscc"]))  # an empty case is used again
    assert "unpack" in [r["kind"] for r in _ok(cli("history", "PCB:S01", "--json")).json()]
    _ok(cli("verify"))


def test_a_unit_shipped_in_a_case_that_comes_back_leaves_the_case(packing_world: Cli) -> None:
    cli = packing_world
    case = _ok(cli("pack", "PCB:S01", "PCB:S02", "--new", "case", "--json")).json()
    _ok(cli("ship", case["sscc"], "--to", "ACME"))
    _ok(cli("return", "PCB:S01", "--from", "ACME", "--to", "A1"))
    assert _ok(cli("where", "PCB:S01", "--json")).json()[0]["sscc"] is None
    assert [c["serial"] for c in _ok(cli("lu", "show", case["sscc"], "--json")).json()
            ["contents"]] == ["S02"]  # fmt: skip
    _ok(cli("verify"))


def test_scanning_an_sscc_identifies_it_and_a_scan_list_ships_the_pallet(
    packing_world: Cli,
) -> None:
    cli = packing_world
    case = _ok(cli("pack", "PCB:S01", "PCB:S02", "--new", "case", "--json")).json()
    shown = _ok(cli("scan", "--json", input=f"(00){case['sscc']}\n{case['sscc']}\n")).stdout
    lines = [line for line in shown.splitlines() if line.strip()]
    assert len(lines) == 2 and all('"kind": "sscc"' in line for line in lines)
    assert all('"ok": true' in line for line in lines)
    done = _ok(cli("scan", "--then", "ship-to", "ACME", "--json", input=f"{case['sscc']}\n"))
    assert '"party": "ACME"' in done.stdout
    assert _ok(cli("where", "PCB:S02", "--json")).json()[0]["status"] == "shipped"
    _ok(cli("verify"))


# -- the papers --------------------------------------------------------------------------------


def _pdf_text(path: Path) -> str:
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        return "".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def test_an_sscc_label_and_a_shipments_packing_slip(
    packing_world: Cli, tmp_path: Path, refused: Callable[..., Outcome]
) -> None:
    cli = packing_world
    case = _ok(cli("pack", "PCB:S01", "PCB:S02", "--new", "case", "--json")).json()
    mixed = _ok(cli("pack", "PCB:S03", "CELL@L1=5", "--new", "case", "--json")).json()
    _ok(cli("lu", "label", case["sscc"], "--out", str(tmp_path / "case.pdf")))
    label = _pdf_text(tmp_path / "case.pdf")
    assert f"(00) {case['sscc']}" in label  # one item: (02) its GTIN, (37) the count
    assert f"(02) {GTIN}" in label and "(37) 2" in label
    _ok(cli("lu", "label", mixed["sscc"], "--out", str(tmp_path / "mixed.pdf")))
    assert "(02)" not in _pdf_text(tmp_path / "mixed.pdf")
    shipped = _ok(cli("ship", case["sscc"], mixed["sscc"], "PCB:S05", "--to", "ACME",
                      "--json")).json()  # fmt: skip
    _ok(cli("shipment", "slip", str(shipped["id"]), "--out", str(tmp_path / "slip.pdf")))
    slip = _pdf_text(tmp_path / "slip.pdf")
    for text in (case["sscc"], mixed["sscc"], "S01", "S03", "S05", "CELL", "L1", "ACME"):
        assert text in slip, text
    refused("shipment", "slip", "1", "--out", str(tmp_path / "x.pdf"), match="shipment")


# -- the Python API and HTTP -------------------------------------------------------------------


def test_the_python_api_packs_moves_and_unpacks(packing_world: Cli, tl: tracelot.Tracelot) -> None:
    case = tl.pack("PCB:S01", "SCREW=50", new="case", at_location="A1")
    assert tl.logistic_unit(case["sscc"])["totals"] == {"units": 1, "lots": 1, "ssccs": 0}
    tl.move(case["sscc"], to="DOCK")
    assert tl.where("SCREW")  # the item's stock rows stay as they were
    tl.unpack(case["sscc"], "SCREW=20")
    assert [c["qty"] for c in tl.logistic_unit(1)["contents"] if c["item"] == "SCREW"] == [30]
    assert tl.verify().ok


@pytest.fixture
def api(packing_world: Cli, db_url: str) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    with tracelot.connect(db_url) as tl:
        tokens = {}
        for role in ("viewer", "operator", "admin"):
            tl.add_user(f"u_{role}", role=role)
            tokens[role] = tl.create_token(f"u_{role}")["token"]
    app = create_app(Settings(database_url=db_url))
    with TestClient(app) as client:
        yield client, {r: {"Authorization": f"Bearer {t}"} for r, t in tokens.items()}


def test_over_http_operators_pack_admins_set_settings_and_everyone_reads(api) -> None:
    client, auth = api
    body = {"refs": ["PCB:S01", "CELL@L1=10"], "new": "case"}
    assert client.post(f"{PREFIX}/pack", json=body, headers=auth["viewer"]).status_code == 403
    packed = client.post(f"{PREFIX}/pack", json=body,
                         headers=auth["operator"] | {"Idempotency-Key": "p-1"})  # fmt: skip
    assert packed.status_code == 201, packed.json()
    again = client.post(f"{PREFIX}/pack", json=body,
                        headers=auth["operator"] | {"Idempotency-Key": "p-1"})  # fmt: skip
    assert again.json() == packed.json()  # done once
    sscc = packed.json()["sscc"]
    shown = client.get(f"{PREFIX}/logistic-units/{sscc}", headers=auth["viewer"])
    assert shown.status_code == 200 and shown.json()["logistic_unit"] == 1
    by_number = client.get(f"{PREFIX}/logistic-units/1", headers=auth["viewer"]).json()
    assert by_number["sscc"] == sscc
    listed = client.get(f"{PREFIX}/logistic-units", headers=auth["viewer"]).json()
    assert [r["sscc"] for r in listed] == [sscc]
    label = client.get(f"{PREFIX}/logistic-units/{sscc}/label", headers=auth["viewer"])
    assert label.status_code == 200 and label.content.startswith(b"%PDF")
    bad = client.post(f"{PREFIX}/pack", json={"refs": ["PCB:S02"], "new": "crate"},
                      headers=auth["operator"])  # fmt: skip
    assert bad.status_code == 422
    missing = client.get(f"{PREFIX}/logistic-units/{make_sscc(COMPANY, 42)}",
                         headers=auth["viewer"])  # fmt: skip
    assert missing.status_code == 404
    out = client.post(f"{PREFIX}/unpack", json={"sscc": sscc, "refs": ["PCB:S01"]},
                      headers=auth["operator"])  # fmt: skip
    assert out.status_code == 201 and out.json()["kind"] == "unpack"
    # settings: read by all, set by admins only
    assert client.get(f"{PREFIX}/settings", headers=auth["viewer"]).status_code == 200
    put = {"gs1_company_prefix": "0614142"}
    assert client.put(f"{PREFIX}/settings", json=put, headers=auth["operator"]).status_code == 403
    done = client.put(f"{PREFIX}/settings", json=put, headers=auth["admin"])
    assert done.status_code == 200
    assert {r["key"]: r["value"] for r in done.json()}["gs1_company_prefix"] == "0614142"
    wrong = client.put(f"{PREFIX}/settings", json={"gs1_company_prefix": "12", "currency": "EUR"},
                       headers=auth["admin"])  # fmt: skip
    assert wrong.status_code == 422
    after = {r["key"]: r["value"] for r in client.get(f"{PREFIX}/settings",
                                                     headers=auth["viewer"]).json()}  # fmt: skip
    assert after["currency"] is None  # all or none
    one = client.put(f"{PREFIX}/settings", json={"currency": "eur"}, headers=auth["admin"])
    assert {r["key"]: r["value"] for r in one.json()}["currency"] == "EUR"
    assert client.put(f"{PREFIX}/settings", json={"colour": "blue"},
                      headers=auth["admin"]).status_code == 422  # fmt: skip
    shipped = client.post(f"{PREFIX}/operations/ship", json={"refs": [sscc], "to": "ACME"},
                          headers=auth["operator"])  # fmt: skip
    assert shipped.status_code == 201, shipped.json()
    slip = client.get(f"{PREFIX}/operations/{shipped.json()['id']}/slip", headers=auth["viewer"])
    assert slip.status_code == 200 and slip.content.startswith(b"%PDF")


# -- EPCIS -------------------------------------------------------------------------------------


def test_the_epcis_export_writes_packing_and_a_shipments_cases_as_aggregation_events(
    packing_world: Cli, tmp_path: Path
) -> None:
    from jsonschema import Draft7Validator
    from test_epcis import DATA, _errors

    cli = packing_world
    case = _ok(cli("pack", "PCB:S01", "PCB:S02", "CELL@L1=5", "--new", "case", "--json")).json()
    pallet = _ok(cli("pack", case["sscc"], "--new", "pallet", "--json")).json()
    _ok(cli("unpack", case["sscc"], "PCB:S02"))
    _ok(cli("ship", pallet["sscc"], "--to", "ACME"))
    path = tmp_path / "out.jsonld"
    _ok(cli("epcis", "export", "--out", str(path)))
    doc = json.loads(path.read_text())
    schema = json.loads((DATA / "EPCIS-JSON-Schema.json").read_text())
    validator = Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)
    assert _errors(validator, doc) == []  # valid against GS1's schema
    # as Digital Link, as exports write every identifier (CONVENTIONS)
    urn = {lu["sscc"]: f"https://id.gs1.org/00/{lu['sscc']}" for lu in (case, pallet)}
    aggregations = [
        (e["action"], e["bizStep"], e["parentID"], len(e["childEPCs"]),
         len(e.get("childQuantityList", [])))
        for e in doc["epcisBody"]["eventList"] if e["type"] == "AggregationEvent"
    ]  # fmt: skip
    assert aggregations == [
        ("ADD", "packing", urn[case["sscc"]], 2, 1),
        ("ADD", "packing", urn[pallet["sscc"]], 1, 0),
        ("DELETE", "unpacking", urn[case["sscc"]], 1, 0),
        ("OBSERVE", "shipping", urn[pallet["sscc"]], 1, 0),
        ("OBSERVE", "shipping", urn[case["sscc"]], 1, 1),
    ]
    shipping = [e for e in doc["epcisBody"]["eventList"]
                if e["type"] == "AggregationEvent" and e["action"] == "OBSERVE"]  # fmt: skip
    assert shipping[0]["childEPCs"] == [urn[case["sscc"]]]
    assert shipping[0]["destinationList"][0]["destination"].endswith("ACME")


def test_a_partners_pallet_received_by_its_sscc_is_a_logistic_unit_here(
    setup_basics: Cli, tmp_path: Path
) -> None:
    from test_epcis import GTIN_PCB, _partner_document

    cli = setup_basics
    _ok(cli("item", "gtin", "add", "PCB", GTIN_PCB))
    path = tmp_path / "asn.jsonld"
    path.write_text(json.dumps(_partner_document()))
    _ok(cli("epcis", "import", str(path)))
    _ok(cli("receive", "--asn", "(00)106141412345678908", "--to", "A1", "--keep-packed"))
    [pallet] = _ok(cli("where", "106141412345678908", "--json")).json()
    assert (pallet["location"], pallet["lu_kind"]) == ("A1", "pallet")
    assert [c["serial"] for c in pallet["contents"]] == ["SN900", "SN901"]
    assert _ok(cli("where", "PCB:SN900", "--json")).json()[0]["sscc"] == "106141412345678908"
    _ok(cli("move", "(00)106141412345678908", "--to", "A2"))
    assert _ok(cli("where", "PCB:SN901", "--json")).json()[0]["location"] == "A2"
    _ok(cli("verify"))


def test_a_partners_pallet_of_cases_with_a_unit_unpacked_is_received_whole(
    setup_basics: Cli, tmp_path: Path
) -> None:
    """A partner's pallet of cases (an aggregation of an aggregation), one unit unpacked
    from its case before shipping (an AggregationEvent DELETE): its notice holds what the
    cases hold now, to any depth."""
    from test_epcis import GTIN_PCB, _partner_document

    cli = setup_basics
    _ok(cli("item", "gtin", "add", "PCB", GTIN_PCB))
    doc = _partner_document()
    events = doc["epcisBody"]["eventList"]
    unit = f"https://id.gs1.org/01/{GTIN_PCB}/21/"
    events[0]["outputEPCList"].append(unit + "SN902")
    case = "0" + "0614141" + "000000077"
    case = f"https://id.gs1.org/00/{case}{gs1_check_digit(case)}"
    events[1]["parentID"] = case
    events[1]["childEPCs"].append(unit + "SN902")
    out = {
        "type": "AggregationEvent",
        "eventTime": "2026-11-19T11:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "action": "DELETE",
        "bizStep": "unpacking",
        "parentID": case,
        "childEPCs": [unit + "SN902"],
        "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.0"},
    }
    onto = {"type": "AggregationEvent", "eventTime": "2026-11-19T12:00:00Z",
            "eventTimeZoneOffset": "+00:00", "action": "ADD", "bizStep": "packing",
            "parentID": "urn:epc:id:sscc:0614141.1234567890", "childEPCs": [case],
            "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.0"}}  # fmt: skip
    events[2:2] = [out, onto]
    path = tmp_path / "asn.jsonld"
    path.write_text(json.dumps(doc))
    _ok(cli("epcis", "import", str(path)))
    _ok(cli("receive", "--asn", "(00)106141412345678908", "--to", "A1", "--keep-packed"))
    [pallet] = _ok(cli("where", "106141412345678908", "--json")).json()
    assert sorted(c["serial"] for c in pallet["contents"]) == ["SN900", "SN901"]
    # the unit taken out stays with the partner (written down there by its making)
    assert _ok(cli("where", "PCB:SN902", "--json")).json()[0]["location"] == "SUPPLIER"
    _ok(cli("verify"))


def test_a_partners_unpacking_of_a_quantity_takes_it_from_each_packing_of_its_lot(
    setup_basics: Cli, tmp_path: Path
) -> None:
    """A DELETE of 8 kg of a lot packed as 5 and 5 by two ADDs takes 8 out: the notice
    holds the 2 kg left (not 5, as if it stopped at the first packing)."""
    from test_epcis import GTIN_PCB, _partner_document

    cli = setup_basics
    _ok(cli("item", "gtin", "add", "PCB", GTIN_PCB))
    doc = _partner_document()
    events = doc["epcisBody"]["eventList"]
    resin = "urn:epc:class:lgtin:4012345.011111.R-77"
    pallet = "urn:epc:id:sscc:0614141.1234567890"
    base = {"type": "AggregationEvent", "eventTimeZoneOffset": "+00:00", "parentID": pallet,
            "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.0"}}  # fmt: skip
    events[2:2] = [
        {**base, "eventTime": f"2026-11-19T1{hour}:00:00Z", "action": action, "bizStep": step,
         "childEPCs": [], "childQuantityList": [{"epcClass": resin, "quantity": qty,
                                                 "uom": "KGM"}]}
        for hour, action, step, qty in ((1, "ADD", "packing", 5), (2, "ADD", "packing", 5),
                                        (3, "DELETE", "unpacking", 8))
    ]  # fmt: skip
    path = tmp_path / "asn.jsonld"
    path.write_text(json.dumps(doc))
    _ok(cli("epcis", "import", str(path)))
    [asn] = _ok(cli("asn", "list", "--json")).json()
    lines = _ok(cli("asn", "show", str(asn["asn"]), "--json")).json()["lines"]
    shown = sorted((ln["item"], ln.get("serial"), ln.get("lot"), ln["qty"]) for ln in lines)
    assert shown == [("PCB", "SN900", None, 1), ("PCB", "SN901", None, 1),
                     ("RESIN", None, "R-77", 2)]  # fmt: skip


def test_tracing_a_pallet_traces_everything_on_it(packing_world: Cli) -> None:
    cli = packing_world
    _ok(cli("build", "DEV", "--to", "A1", "--serial", "D1", "--consume", "PCB:S05",
            "--consume", "CELL@L1=2"))  # fmt: skip
    case = _ok(cli("pack", "DEV:D1", "--new", "case", "--json")).json()
    pallet = _ok(cli("pack", case["sscc"], "--new", "pallet", "--json")).json()
    backward = json.dumps(_ok(cli("trace", "backward", pallet["sscc"], "--json")).json())
    assert "S05" in backward and "L1" in backward
    _ok(cli("ship", pallet["sscc"], "--to", "GLOBEX"))
    forward = _ok(cli("trace", "forward", "PCB:S05", "--json")).json()
    reached = {(a["item"], a.get("serial"), a["status"], a.get("customer"))
               for a in forward["affected"]}  # fmt: skip
    assert ("DEV", "D1", "shipped", "GLOBEX") in reached


@pytest.mark.parametrize("other", ["pack", "move"])
def test_packing_a_unit_while_another_packs_or_moves_it_leaves_one_winner(
    packing_world: Cli, db_url: str, other: str
) -> None:
    import threading

    from tracelot.domain.errors import TracelotError

    cli = packing_world
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def act(what: str) -> None:
        with tracelot.connect(db_url, user=f"u-{what}") as tl:
            start.wait()
            try:
                if what == "move":
                    tl.move("PCB:S01", "CELL@L1", qty=100, from_="A1", to="DOCK")
                else:
                    tl.pack("PCB:S01", "CELL@L1=10", new="case", at_location="A1")
                outcomes.append("ok")
            except TracelotError as exc:
                outcomes.append(exc.message)

    threads = [threading.Thread(target=act, args=(w,)) for w in ("pack", other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1 and len(outcomes) == 2, outcomes
    loser = next(o for o in outcomes if o != "ok")
    assert any(w in loser for w in ("conflict", "packed", "not packed", "not enough", "DOCK")), (
        loser
    )
    _ok(cli("verify"))


def test_a_move_whose_unit_was_packed_since_is_not_voided_naming_the_pack(
    packing_world: Cli, refused: Callable[..., Outcome]
) -> None:
    cli = packing_world
    moved = _ok(cli("move", "PCB:S05", "--to", "DOCK", "--json")).json()
    packed = _ok(cli("pack", "PCB:S05", "--new", "case", "--json")).json()
    refused("void", str(moved["id"]), "--reason", "wrong dock",
            match=f"pack {packed['id']} (PCB:S05)")  # fmt: skip
    _ok(cli("unpack", packed["sscc"]))
    _ok(cli("void", str(moved["id"]), "--reason", "wrong dock"))
    assert _ok(cli("where", "PCB:S05", "--json")).json()[0]["location"] == "A1"
    _ok(cli("verify"))


def test_the_migration_brings_back_cases_an_earlier_void_left_at_the_customer(
    packing_world: Cli, db_url: str
) -> None:
    """Before 0026 a void of a shipment of a pallet took its units back and left the
    pallet and its cases at the customer (`verify` failed, nothing could move them): the
    migration puts each where what it holds is."""
    from alembic import command
    from sqlalchemy import create_engine, text

    from tracelot.store.schema import SCHEMA_REVISION, alembic_config

    cli = packing_world
    case = _ok(cli("pack", "PCB:S01", "PCB:S02", "CELL@L1=5", "--new", "case",
                   "--json")).json()["sscc"]  # fmt: skip
    cells = _ok(cli("pack", "CELL@L1=3", "--new", "case", "--at", "A1", "--json")).json()["sscc"]
    pallet = _ok(cli("pack", case, cells, "PCB:S03", "--new", "pallet", "--json")).json()["sscc"]
    shipped = _ok(cli("ship", pallet, "--to", "ACME", "--json")).json()
    _ok(cli("void", str(shipped["id"]), "--reason", "not sent"))
    engine = create_engine(db_url)
    with engine.begin() as conn:  # as the void before 0026 left them
        command.downgrade(alembic_config(conn), "0025")
        conn.execute(text(
            "UPDATE logistic_units SET party_id = (SELECT id FROM parties WHERE code = 'ACME'),"
            " location_id = (SELECT id FROM locations WHERE code = 'CUSTOMER')"))  # fmt: skip
        conn.execute(text("DELETE FROM lu_moves WHERE operation_id IN "
                          "(SELECT void_op_id FROM voids)"))  # fmt: skip
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), SCHEMA_REVISION)
    engine.dispose()
    for sscc in (case, cells, pallet):
        shown = _ok(cli("lu", "show", sscc, "--json")).json()
        assert (shown["location"], shown["status"], shown["customer"]) == ("A1", "in_stock", None)
    _ok(cli("verify"))
    _ok(cli("move", pallet, "--to", "DOCK"))


def test_a_case_moved_before_0026_goes_back_where_what_it_holds_came_from(
    packing_world: Cli, db_url: str
) -> None:
    """A move written before tracelot kept where each case was (its `lu_moves` rows say
    nothing), beside a unit from another place: voided, the case goes back where what it
    holds came from."""
    from sqlalchemy import create_engine, text

    cli = packing_world
    case = _ok(cli("pack", "PCB:S01", "CELL@L1=5", "--new", "case", "--json")).json()["sscc"]
    moved = _ok(cli("move", case, "PCB:S11", "--to", "DOCK", "--json")).json()  # S11 at A2
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE lu_moves SET from_location_id = NULL"))
    engine.dispose()
    _ok(cli("void", str(moved["id"]), "--reason", "wrong dock"))
    assert _ok(cli("lu", "show", case, "--json")).json()["location"] == "A1"
    assert _ok(cli("where", "PCB:S11", "--json")).json()[0]["location"] == "A2"
    _ok(cli("verify"))


def test_a_void_that_would_leave_a_case_apart_from_what_it_holds_is_refused(
    packing_world: Cli, refused: Callable[..., Outcome]
) -> None:
    """What was packed since into a case the void takes back, from elsewhere (a unit the
    same move took from another place, a case moved there by another move), would not
    go back with it: the void is refused and changes nothing."""
    cli = packing_world
    case = _ok(cli("pack", "PCB:S11", "--new", "case", "--json")).json()["sscc"]  # at A2
    moved = _ok(cli("move", case, "PCB:S05", "--to", "DOCK", "--json")).json()  # S05 from A1
    _ok(cli("pack", "PCB:S05", "--into", case))
    refused("void", str(moved["id"]), "--reason", "wrong dock",
            match=f"PCB:S05 is packed in SSCC {case} but is not where it is after")  # fmt: skip
    _ok(cli("unpack", case, "PCB:S05"))
    pallet = _ok(cli("pack", case, "--new", "pallet", "--json")).json()["sscc"]
    moved = _ok(cli("move", pallet, "--to", "A1", "--json")).json()
    other = _ok(cli("pack", "PCB:S06", "--new", "case", "--at", "A1", "--json")).json()
    packed = _ok(cli("pack", other["sscc"], "--into", pallet, "--json")).json()
    refused("void", str(moved["id"]), "--reason", "wrong place",
            match=f"pack {packed['id']} (SSCC {other['sscc']})")  # fmt: skip
    _ok(cli("verify"))


def test_a_lot_quantity_returned_from_a_shipped_case_leaves_the_case(
    packing_world: Cli, refused: Callable[..., Outcome]
) -> None:
    """Of a lot shipped both loose and in a case, what comes back is the loose first, then
    out of the case: the case at the customer holds what the customer still has. The
    return voided, it is in the case again; then the shipment voids whole."""
    cli = packing_world
    case = _ok(cli("pack", "CELL@L1=10", "PCB:S01", "--new", "case", "--json")).json()["sscc"]
    shipped = _ok(cli("ship", case, "--to", "ACME", "--json")).json()
    _ok(cli("ship", "CELL@L1", "--qty", "3", "--from", "A1", "--to", "ACME"))
    back = _ok(cli("return", "CELL@L1", "--from", "ACME", "--to", "A1", "--qty", "7",
                   "--json")).json()  # fmt: skip
    held = [(c["item"], c["qty"]) for c in _ok(cli("lu", "show", case, "--json")).json()
            ["contents"]]  # fmt: skip
    assert sorted(held) == [("CELL", 6), ("PCB", 1)]  # 3 loose came back, then 4 of the case
    _ok(cli("verify"))
    refused("void", str(shipped["id"]), "--reason", "not sent", match=f"return {back['id']}")
    _ok(cli("void", str(back["id"]), "--reason", "did not come back"))
    held = [(c["item"], c["qty"]) for c in _ok(cli("lu", "show", case, "--json")).json()
            ["contents"]]  # fmt: skip
    assert sorted(held) == [("CELL", 10), ("PCB", 1)]
    _ok(cli("void", str(shipped["id"]), "--reason", "not sent"))
    shown = _ok(cli("lu", "show", case, "--json")).json()
    assert shown["location"] == "A1" and len(shown["contents"]) == 2
    _ok(cli("verify"))
