"""Scanning: every form a scanner delivers, resolved through `tracelot scan` and through
every reference argument of the command line; GS1 conformance against GS1's own syntax
dictionary; and a fuzzer that feeds random and mutated scans to the resolver."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import BACKEND, Cli, run_process, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

import tracelot
from tracelot.cli.output import _default
from tracelot.domain.errors import TracelotError
from tracelot.domain.gs1_dictionary import dictionary
from tracelot.domain.scan import CSET82, GS
from tracelot.domain.values import gtin_check_digit
from tracelot.services.resolver import resolve
from tracelot.store.engine import transaction
from tracelot.store.tables import items, locations, lots, units

DICTIONARY = Path(__file__).parent / "data" / "gs1" / "gs1-syntax-dictionary.txt"


def check(body: str) -> str:
    return body + str(gtin_check_digit(body))


PCB = check("0950600013435")  # 09506000134352, GS1's own example GTIN
CELL = check("0950600013437")
SCREW_EAN = check("400638133393")  # a supplier's EAN-13 of the screws
DOCK_GLN = check("061414100001")
SSCC = check("00614141123456789")


@pytest.fixture
def world(setup_basics: Cli) -> Cli:
    cli = setup_basics
    for args in [
        ("item", "gtin", "add", "PCB", PCB),
        ("item", "gtin", "add", "CELL", CELL),
        ("item", "gtin", "add", "SCREW", SCREW_EAN),
        ("location", "add", "DOCK", "--parent", "WH", "--gln", DOCK_GLN),
        ("location", "add", "01-RACK-A", "--parent", "WH"),  # digits first, typed by hand
        ("receive", "PCB", "--to", "A1", "--serials", "SN0001..SN0003"),
        ("receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "10", "--expires", "2027-06-30"),
        ("receive", "SCREW", "--to", "A2", "--qty", "500"),
    ]:
        outcome = cli(*args)
        assert outcome.exit_code == 0, (args, outcome.stderr)
    return cli


def scan_lines(cli: Cli, *lines: str) -> tuple[int, list[dict]]:
    outcome = cli("scan", "--json", input="".join(line + "\n" for line in lines))
    results = [json.loads(line) for line in outcome.stdout.splitlines()]
    assert len(results) == len(lines), outcome.stdout
    return outcome.exit_code, results


UNIT1 = {"ok": True, "kind": "unit", "item": "PCB", "serial": "SN0001", "location": "A1"}
LOT1 = {"ok": True, "kind": "lot", "item": "CELL", "lot": "L1", "expiry": "2027-06-30"}

FORMS = [
    # GS1 symbols with their symbology identifiers
    (f"]d201{PCB}21SN0001", UNIT1),
    (f"]C101{CELL}10L1{GS}17270630", LOT1),
    (f"]Q301{CELL}17270630" + "10L1", LOT1),
    (f"]e001{CELL}10L1{GS}17270630", LOT1),
    # without a symbology identifier, with GS separators
    (f"01{CELL}10L1{GS}17270630", LOT1),
    # the bracketed human-readable form
    (f"(01){PCB}(21)SN0001", UNIT1),
    (f"(01){CELL}(17)270600(10)L1", LOT1),  # day 00: the end of the month
    # GS1 Digital Link, any host, attributes in the query string
    (f"https://example.com/01/{PCB}/21/SN0001", UNIT1),
    (f"https://id.gs1.org/01/{CELL}/10/L1?17=270630", LOT1),
    # a composite symbol: its 2D component after |
    (f"01{CELL}10L1|17270630", LOT1),
    (f"(01){CELL}(10)L1|(17)270630", LOT1),
    # GTINs: ITF-14 and a bare GTIN-14; Code 128 without FNC1 is plain data (a code)
    (f"]I10{SCREW_EAN}", {"ok": True, "kind": "item", "item": "SCREW"}),
    (f"0{SCREW_EAN}", {"ok": True, "kind": "item", "item": "SCREW"}),
    ("]C0PCB:SN0001", UNIT1),
    ("]A0A2", {"ok": True, "kind": "location", "location_path": "WH/A2"}),
    # Digital Link: HTTPS://, a path prefix that ends in /01
    (f"HTTPS://EXAMPLE.COM/01/{PCB}/21/SN0001", UNIT1),
    (f"https://example.com/shop/01/01/{PCB}/21/SN0001", UNIT1),
    # no GS, but nothing can hide in the last value: read
    (f"01{PCB}21SN0001", UNIT1),
    # EAN/UPC: a bare GTIN names the item; a count (30) says how many
    (SCREW_EAN, {"ok": True, "kind": "item", "item": "SCREW", "qty": 1}),
    (f"]E0{SCREW_EAN}", {"ok": True, "kind": "item", "item": "SCREW"}),
    (f"(01)0{SCREW_EAN}(30)12", {"ok": True, "kind": "item", "item": "SCREW", "qty": 12}),
    # tracelot's own labels, and codes typed by hand
    ("TL:U:PCB:SN0001", UNIT1),
    ("TL:L:CELL@L1", LOT1),
    ("TL:P:A1", {"ok": True, "kind": "location", "location": "A1", "location_path": "WH/A1"}),
    ("PCB:SN0001", UNIT1),
    ("CELL@L1", LOT1),
    ("PCB", {"ok": True, "kind": "item", "item": "PCB"}),
    ("A2", {"ok": True, "kind": "location", "location_path": "WH/A2"}),
    ("01-RACK-A", {"ok": True, "kind": "location", "location_path": "WH/01-RACK-A"}),
    # a location by its GLN
    (f"(414){DOCK_GLN}", {"ok": True, "kind": "location", "location": "DOCK"}),
    # a label whose expiry differs from tracelot's: read, with a warning
    (
        f"(01){CELL}(10)L1(17)271231",
        {**LOT1, "expiry": "2027-12-31", "warnings": ["tracelot has 2027-06-30"]},
    ),
]

REFUSED = [
    # (scan, valid, what the error must say)
    ("0109506000134353", False, "check digit"),
    (f"01{PCB}17261332", False, "(17)"),  # no 32nd day
    (f"01{PCB}17260230", False, "(17)"),  # no 30 February
    ("(01)095060001343", False, "(01)"),  # too short
    ("2812345", False, "no known AI"),
    ("]C110L1", False, "(10) BATCH/LOT needs (01)"),
    (f"]d2{GS}01{PCB}21SN0001", False, "no known AI"),  # GS1's engine: FNC1 is implied
    (f"]C101{CELL}10L1^17270630", False, "'^'"),
    (f"(01){PCB}(3102)001000(3103)000100", False, "must not appear with (3103)"),
    (f"(01){PCB}(21)A(21)B", False, "appears twice with different values"),
    (f"(01){PCB}(7006)270100", False, "illegal day"),
    (f"https://example.com/01/{PCB[1:]}", False, "too short"),  # zero-suppressed GTIN
    (f"https://example.com/01/{PCB}?10=L1", False, "belongs in the URI's path"),
    (f"(01){PCB}(37)5", False, "must not appear with (37)"),
    (f"]C101{PCB}10A B|C", False, "character set 82"),
    (f"]C101{PCB}10A B", False, "character set 82"),
    ("TL:X:PCB", False, "not a tracelot label"),
    (f"01{check('0950600099999')}", True, "no item has GTIN"),
    (f"(01){PCB}(21)SN9999", True, "unknown unit PCB:SN9999"),
    (f"(00){SSCC}", True, "SSCC"),
    ("NOPE", True, "no item, unit, lot or location is called 'NOPE'"),
]


def test_every_form_a_scanner_delivers_is_resolved(world: Cli) -> None:
    code, results = scan_lines(world, *(text for text, _ in FORMS))
    assert code == 0
    for (text, want), got in zip(FORMS, results, strict=True):
        assert got["input"] == text
        assert got["valid"] is True, (text, got)
        assert got["error"] is None, (text, got)
        for key, value in want.items():
            if key == "warnings":
                assert all(any(w in g for g in got["warnings"]) for w in value), (text, got)
            else:
                assert got[key] == value, (text, key, got)


def test_a_pipe_of_scans_is_answered_as_each_scan_alone(world: Cli, db_url: str) -> None:
    # a real process reads a pipe's lines in batches (one transaction, the units read
    # ahead in one statement): each answer is the one the scan gets on its own, in order
    world("hold", "PCB:SN0003", "--reason", "dropped")
    lines = [form for form, _ in FORMS] + [
        f"]d201{PCB}21SN0003", "PCB:SN0003", "TL:U:PCB:SN0002", f"]d201{PCB}21NOPE",
        "PCB:NOPE", "NOPE:SN0001", f"(01){CELL}(21)SN0001", "((01", "WH", "A1",
    ] * 3  # fmt: skip
    done = run_process("scan", "--json", db=db_url, input="".join(f"{s}\n" for s in lines))
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    with tracelot.connect(db_url) as tl:
        alone = [json.loads(json.dumps(tl.identify(s), default=_default)) for s in lines]
    assert answers == alone
    assert done.returncode == 1  # some were refused
    held = [a for a in answers if a["serial"] == "SN0003" and a["ok"]]
    assert len(held) == 6 and all(a["held"] for a in held)
    assert sum(not a["ok"] for a in answers) == 3 * 5


def test_a_scanners_line_is_answered_before_the_next_comes(world: Cli, db_url: str) -> None:
    # batches take what has arrived: a line typed alone is answered at once, not at the end
    command = [sys.executable, "-m", "tracelot", "--db", db_url, "scan", "--json"]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as p:
        assert p.stdin is not None and p.stdout is not None
        for serial in ("SN0001", "SN0002"):
            p.stdin.write(f"PCB:{serial}\n")
            p.stdin.flush()
            assert json.loads(p.stdout.readline())["serial"] == serial  # the pipe is still open
        p.stdin.close()
        assert p.wait(timeout=60) == 0


def test_bad_scans_are_refused_with_the_ai_and_the_problem(world: Cli, db_url: str) -> None:
    before = snapshot(db_url)
    code, results = scan_lines(world, *(text for text, _, _ in REFUSED))
    assert code == 1  # any scan not ok
    for (text, valid, message), got in zip(REFUSED, results, strict=True):
        assert got["ok"] is False, (text, got)
        assert got["valid"] is valid, (text, got)
        assert message in got["error"], (text, got["error"])
    assert snapshot(db_url) == before


def test_a_dropped_separator_is_a_warning_not_a_refusal(world: Cli) -> None:
    """Without a symbology identifier or any GS, a value at the end that reads as more
    AIs may be a wedge scanner's doing: GS1's engine reads it as it stands, so does
    tracelot, with a warning."""
    _, (got,) = scan_lines(world, f"01{CELL}10L117270630")
    assert got["valid"] is True and got["lot"] == "L117270630", got
    assert any("may hide (17)" in w and "scan again" in w for w in got["warnings"]), got
    _, (marked,) = scan_lines(world, f"]C101{CELL}10L117270630")
    assert marked["valid"] is True and marked["warnings"] == [], marked


def test_repeated_ais_are_kept_in_the_order_scanned(world: Cli) -> None:
    _, (got,) = scan_lines(world, f"(01){CELL}(10)L1(01){CELL}")
    assert got["elements"] == [["01", CELL], ["10", "L1"], ["01", CELL]], got
    assert got["ais"] == {"01": CELL, "10": "L1"}


def test_scan_reads_on_after_a_bad_scan_and_says_it_for_people(world: Cli) -> None:
    outcome = world("scan", input=f"NOPE\n]d201{PCB}21SN0002\n\n")
    assert outcome.exit_code == 1
    lines = outcome.stdout.splitlines()
    assert lines[0].startswith("refused  'NOPE'")
    assert lines[1].startswith("ok       unit PCB:SN0002 (Main board) at WH/A1, in_stock")
    assert "[1 ok, 1 refused]" in outcome.stderr


def test_every_reference_argument_takes_a_scan(world: Cli) -> None:
    unit = f"]d201{PCB}21SN0001"
    assert world("move", unit, "--to", "01-RACK-A").exit_code == 0
    assert world("move", unit, "--to", "TL:P:A2").exit_code == 0
    assert world("where", f"(01){PCB}(21)SN0001", "--json").json()[0]["location"] == "A2"
    lot = f"]C101{CELL}10L1{GS}17270630"
    assert world("move", lot, "--qty", "4", "--to", f"(414){DOCK_GLN}").exit_code == 0
    places = {r["location"]: r["qty"] for r in world("where", "CELL@L1", "--json").json()}
    assert places == {"A1": 6, "DOCK": 4}
    assert world("receive", SCREW_EAN, "--to", "A1", "--qty", "5").exit_code == 0
    built = world("build", "DEV", "--to", "A1", "--serial", "D1", "--consume", unit,
                  "--consume", "TL:L:CELL@L1=2")  # fmt: skip
    assert built.exit_code == 0, built.stderr
    shipped = world("ship", "TL:U:DEV:D1", "--to", "ACME")
    assert shipped.exit_code == 0, shipped.stderr
    inputs = world("trace", "backward", "https://example.com/01/" + PCB + "/21/SN0001", "--json")
    assert inputs.exit_code == 0, inputs.stderr
    history = world("history", f"(01){PCB}(21)SN0001", "--json").json()
    assert [h["kind"] for h in history] == ["receive", "move", "move", "build"]


def test_a_bad_scan_as_a_reference_is_refused_and_changes_nothing(world: Cli, refused) -> None:
    refused("move", "0109506000134353", "--to", "A2", match="check digit")
    refused("move", f"(01){PCB}(21)SN0001", "--to", "TL:P:NOWHERE", match="NOWHERE")
    refused("move", f"(00){SSCC}", "--to", "A2", match="SSCC")
    refused("move", "TL:P:A1", "--to", "A2", match="names location A1")


def test_an_item_has_its_own_gtin_and_its_suppliers(world: Cli, refused) -> None:
    other = check("0950600013439")
    shown = world("item", "gtin", "add", "PCB", other, "--json").json()
    assert shown["gtins"] == sorted([PCB, other])
    assert world("item", "show", "PCB", "--json").json()["gtins"] == sorted([PCB, other])
    code, (got,) = scan_lines(world, f"(01){other}(21)SN0003")
    assert (code, got["item"], got["serial"]) == (0, "PCB", "SN0003")
    refused("item", "gtin", "add", "CELL", other, match="already belongs to item PCB")
    refused("item", "gtin", "add", "CELL", "09506000134353", match="bad check digit")
    refused("item", "gtin", "add", "NOPE", other, match="unknown item")
    refused("location", "add", "GATE", "--gln", DOCK_GLN, match="already names location DOCK")
    refused("location", "add", "GATE", "--gln", "0614141000013", match="bad check digit")


# -- conformance: GS1's own syntax dictionary ----------------------------------------------


def _dictionary() -> list[tuple[list[str], str, list[str], list[str]]]:
    """(AIs, flags, format components, attributes) of each entry line."""
    entries = []
    for line in DICTIONARY.read_text().splitlines():
        if not line[:1].isdigit():
            continue
        fields = line.split("#", 1)[0].split()
        first, *rest = fields
        flags = rest.pop(0) if rest and rest[0][0] not in "NXYZ[" else ""
        spec = [c.split(",")[0] for c in rest if c[0] in "NXYZ["]
        attributes = [c for c in rest if c[0] not in "NXYZ["]
        low, _, high = first.partition("-")
        ais = [str(n).zfill(len(low)) for n in range(int(low), int(high or low) + 1)]
        entries.append((ais, flags, spec, attributes))
    return entries


def _span(component: str) -> tuple[int, int]:
    """The shortest and longest data of one format component (`N6`, `X..20`, `[N3]`)."""
    optional, bare = component.startswith("["), component.strip("[]")
    if bare == "-":
        return (0 if optional else 1), 1
    match = re.fullmatch(r"[NXYZ](\d*)(\.\.)?[NXYZ]?(\d*)", bare)
    assert match, component
    low, dots, high = match.groups()
    shortest, longest = (int(low or 1), int(high)) if dots else (int(low), int(low))
    return (0 if optional else shortest), longest


def test_every_ai_of_the_syntax_dictionary_is_known_with_its_format() -> None:
    known = dictionary().entries
    entries = _dictionary()
    assert sum(len(ais) for ais, *_ in entries) == len(known) > 500  # ranges expanded
    wrong = []
    for ais, flags, spec, _ in entries:
        longest = sum(_span(c)[1] for c in spec)
        shortest = sum(_span(c)[0] for c in spec)
        for ai in ais:
            entry = known[ai]
            if entry.fixed != ("*" in flags) or entry.dl_attribute != ("?" in flags):
                wrong.append((ai, "flags", flags))
            if (entry.min_length, entry.max_length) != (shortest, longest):
                wrong.append((ai, "lengths", entry.min_length, entry.max_length, spec))
    assert not wrong, wrong


def test_the_pairing_rules_are_gs1s_and_are_enforced(world: Cli) -> None:
    rules: dict[str, dict[str, list]] = {}
    for ais, _, _, attributes in _dictionary():
        for ai in ais:
            req = [a.removeprefix("req=").split(",") for a in attributes if a.startswith("req=")]
            ex = [x for a in attributes if a.startswith("ex=") for x in a[3:].split(",")]
            rules[ai] = {"req": req, "ex": ex}
    core = ["01", "02", "10", "11", "15", "17", "21", "240", "250", "254", "30", "37"]
    sample = {
        "00": SSCC, "01": PCB, "02": CELL, "03": PCB, "10": "L1", "11": "270101",
        "15": "270101", "17": "270101", "21": "S1", "235": "T1", "240": "X1", "250": "S2",
        "254": "E1", "255": check("061414100001") + "5", "30": "5", "37": "5",
        "414": DOCK_GLN, "8006": PCB + "0101", "8026": PCB + "0101",
    }  # fmt: skip
    cases = []
    for ai, rule in ((ai, rules[ai]) for ai in core):
        others = [group[0] for group in rule["req"]]
        for group in rule["req"]:  # each required group missing in turn
            present = [ai, *(o for o in others if o not in group)]
            cases.append((present, f"({ai})", "needs"))
        for partner in rule["ex"]:
            present = [ai, *others, partner]
            cases.append((present, f"({ai})", "must not appear with"))
    lines = ["".join(f"({a}){sample[a]}" for a in dict.fromkeys(p)) for p, *_ in cases]
    _, results = scan_lines(world, *lines)
    for (present, _ai, words), line, got in zip(cases, lines, results, strict=True):
        assert got["valid"] is False, (present, line, got)
        assert words in got["error"], (present, got["error"])


# -- fuzzing --------------------------------------------------------------------------------

VALUE = st.text(alphabet=sorted(CSET82), min_size=1, max_size=20)


@st.composite
def element_strings(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    """A valid GS1 element string: a GTIN with any of lot, serial, expiry, in any order,
    a GS after each variable-length value that is not last, and maybe a symbology id."""
    ais = {"01": draw(st.sampled_from([PCB, CELL, "0" + SCREW_EAN]))}
    if draw(st.booleans()):
        ais["10"] = draw(VALUE)
    if draw(st.booleans()):
        ais["21"] = draw(VALUE)
    if draw(st.booleans()):
        day = draw(st.dates(dt.date(2000, 1, 1), dt.date(2049, 12, 31)))
        ais["17"] = day.strftime("%y%m%d")
    order = draw(st.permutations(list(ais)))
    parts = []
    for i, ai in enumerate(order):
        last = i == len(order) - 1
        parts.append(ai + ais[ai] + ("" if last or ai in ("01", "17") else GS))
    prefix = draw(st.sampled_from(["", "]C1", "]d2", "]Q3", "]e0"]))
    return prefix + "".join(parts), {ai: ais[ai] for ai in order}


def _world(tl: tracelot.Tracelot) -> None:
    tl.add_item("PCB", name="Board", tracking="serial", gtin=PCB)
    tl.add_item("CELL", name="Cell", tracking="lot", gtin=CELL)
    tl.add_location("A1")
    tl.receive("PCB", to="A1", serials="S1..S3")
    tl.receive("CELL", to="A1", lot="L1", qty=5)


@settings(
    max_examples=200 if BACKEND == "sqlite" else 80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_fuzzed_scans_never_crash_never_write_never_misread(db_url: str, data) -> None:  # noqa: ANN001
    with tracelot.connect(db_url, user="fuzz") as tl:
        if not tl.items():
            _world(tl)
        before = snapshot(db_url)
        text, ais = data.draw(element_strings())
        result = tl.identify(text)
        assert result["valid"] is True, (text, result["error"])
        assert result["ais"] == ais, (text, result["ais"])  # never misread
        mutated = data.draw(_mutations(text))
        for scan in (mutated, data.draw(st.text(max_size=60))):
            try:
                got = tl.identify(scan)
            except TracelotError:
                continue
            assert got["ok"] or got["error"], (scan, got)
            if got["valid"] and got["ais"].get("01") and scan.startswith("01"):
                assert got["gtin"] == got["ais"]["01"]
        assert snapshot(db_url) == before


@st.composite
def _mutations(draw: st.DrawFn, text: str) -> str:
    """The scan with a character dropped, replaced or inserted, or a GS mangled."""
    if not text:
        return text
    i = draw(st.integers(0, len(text) - 1))
    how = draw(st.sampled_from(["drop", "replace", "insert", "gs"]))
    char = draw(st.characters(codec="ascii"))
    if how == "drop":
        return text[:i] + text[i + 1 :]
    if how == "replace":
        return text[:i] + char + text[i + 1 :]
    if how == "insert":
        return text[:i] + char + text[i:]
    return text.replace(GS, draw(st.sampled_from(["", "|", "^", "~", " ", "A"])))


# -- scanning into operations ---------------------------------------------------------------


def test_receive_by_scanning_a_suppliers_barcode(world: Cli, refused) -> None:
    got = world("receive", "--scan", f"]d201{CELL}10L2{GS}17280131{GS}3024", "--to", "A2",
                "--json")  # fmt: skip
    assert got.exit_code == 0, got.stderr
    assert [(ln["item"], ln["lot"], ln["qty"]) for ln in got.json()["lines"]] == [
        ("CELL", "L2", 24)
    ]
    assert world("where", "CELL@L2", "--json").json()[0]["expires"] == "2028-01-31"
    unit = world("receive", "--scan", f"(01){PCB}(21)SN0042", "--to", "A1", "--json").json()
    assert unit["lines"][0]["serials"] == ["SN0042"]
    refused("receive", "--scan", f"(01){CELL}(10)L1(17)280101(30)5", "--to", "A1",
            match="expires 2027-06-30, not 2028-01-01")  # fmt: skip
    refused("receive", "--scan", f"(01){PCB}(21)SN0001", "--to", "A1", match="already known")
    refused("receive", "--scan", f"(01){CELL}(10)L3(30)5", "--qty", "6", "--to", "A1",
            match="--qty 6 disagrees with the scan's 5")  # fmt: skip
    refused("receive", "SCREW", "--scan", f"(01){CELL}(10)L3(30)5", "--to", "A1",
            match="names item CELL, not SCREW")  # fmt: skip
    refused("receive", "--scan", "PCB:SN0100", "--to", "A1", match="holds no GTIN")


def test_a_batch_of_scans_is_received_in_one_go(world: Cli) -> None:
    lot = f"(01){CELL}(10)L9(17)280630"
    scans = [f"(01){PCB}(21)SN0100", f"(01){PCB}(21)SN0101", f"(01){PCB}(21)SN0100",
             f"{lot}(30)10", f"{lot}(30)5", "NOPE"]  # fmt: skip
    outcome = world("scan", "--then", "receive", "--to", "A2", "--json", input="\n".join(scans))
    assert outcome.exit_code == 1  # two scans refused; the rest received
    rows = [json.loads(line) for line in outcome.stdout.splitlines()]
    assert [r.get("ok", True) for r in rows[:6]] == [True, True, False, True, True, False]
    assert "scanned twice" in rows[2]["error"]
    receipts = rows[6:]
    assert [(r["kind"], [(ln["item"], ln["lot"], ln["qty"]) for ln in r["lines"]])
            for r in receipts] == [("receive", [("PCB", None, 2)]),
                                   ("receive", [("CELL", "L9", 15)])]  # fmt: skip
    assert world("where", "PCB:SN0101", "--json").json()[0]["location"] == "A2"


def test_a_batch_moves_ships_or_builds_as_one_operation(world: Cli) -> None:
    assert world("hold", "PCB:SN0003", "--reason", "bent pins").exit_code == 0
    scans = f"]d201{PCB}21SN0001\nCELL@L1=4\n(01){CELL}(10)L1\nPCB:SN0001\n"
    moved = world("scan", "--then", "move-to", "A2", "--json", input=scans)
    assert moved.exit_code == 1  # a lot without a count, and a unit scanned twice
    *_, operation = [json.loads(line) for line in moved.stdout.splitlines()]
    assert operation["kind"] == "move"
    assert sorted((ln["item"], ln["qty"], ln["to"]) for ln in operation["lines"]) == [
        ("CELL", 4, "WH/A2"), ("PCB", 1, "WH/A2")]  # fmt: skip
    shipped = world("scan", "--then", "ship-to", "ACME", "--json",
                    input="PCB:SN0001\nPCB:SN0003\nPCB:SN0002\n")  # fmt: skip
    rows = [json.loads(line) for line in shipped.stdout.splitlines()]
    assert "is held" in rows[1]["error"]
    assert rows[-1]["kind"] == "ship"
    assert sorted(s for ln in rows[-1]["lines"] for s in ln["serials"]) == ["SN0001", "SN0002"]
    again = world("scan", "--then", "ship-to", "ACME", "--json", input="PCB:SN0001\n")
    assert "is shipped" in json.loads(again.stdout.splitlines()[0])["error"]
    world("receive", "PCB", "--to", "A1", "--serials", "SN0200")
    built = world("scan", "--then", "consume-into", "DEV:D9", "--to", "A1", "--json",
                  input=f"(01){PCB}(21)SN0200\nCELL@L1=2\n")  # fmt: skip
    assert built.exit_code == 0, built.stderr
    assert json.loads(built.stdout.splitlines()[-1])["outputs"] == ["DEV:D9"]
    assert world("where", "PCB:SN0200", "--json").json()[0]["status"] == "consumed"


def test_each_scan_commits_alone_and_a_failed_batch_changes_nothing(
    world: Cli, db_url: str
) -> None:
    each = world("scan", "--then", "move-to", "A2", "--each", input="PCB:SN0001\nPCB:SN0002\n")
    assert each.exit_code == 0, each.stderr
    assert each.stdout.count("move #") == 2
    # more of a lot than there is: refused as it is scanned, with the reason
    too_much = world("scan", "--then", "move-to", "A1", input="PCB:SN0001\nCELL@L1=99\n")
    assert too_much.exit_code == 1
    assert "not enough CELL@L1" in too_much.stdout
    assert world("where", "PCB:SN0001", "--json").json()[0]["location"] == "A1"
    before = snapshot(db_url)
    nowhere = world("scan", "--then", "move-to", "NOWHERE", input="PCB:SN0002\nCELL@L1=2\n")
    assert nowhere.exit_code == 1
    assert "NOWHERE" in nowhere.stderr
    assert snapshot(db_url) == before


def test_a_scanned_unit_reads_as_where_says_with_its_lot_its_place_and_its_holds(
    db_url: str,
) -> None:
    """A unit is resolved in one read with its item, lot, place and holds (on SQLite
    straight on the driver): what a scan says of it is what `where` says, the rows it
    hands on are the rows the tables hold, and an operation by scan uses them."""
    tl = tracelot.connect(db_url)
    tl.add_location("WH", kind="warehouse")
    tl.add_location("A1", parent="WH")
    tl.add_location("A2", parent="WH")
    tl.add_item("PCB", name="Main board", tracking="serial", cost="0.333333")
    tl.add_gtin("PCB", PCB)
    tl.receive("PCB", to="A1", serials="S1..S3", lot="L1", expires="2031-01-31", cost="1.234567")
    tl.receive("PCB", to="A2", serials="S9")  # no lot

    def agrees(serial: str) -> dict:
        where = tl.where(f"PCB:{serial}")[0]
        for text in (f"(01){PCB}(21){serial}", f"TL:U:PCB:{serial}", f"PCB:{serial}"):
            said = tl.identify(text)
            assert said["ok"], said
            for key in ("item", "serial", "lot", "location", "location_path", "status", "held"):
                assert said[key] == where[key], (text, key, said, where)
            assert said["expiry"] == where["expires"]
        return said

    assert agrees("S1")["held"] is False and agrees("S9")["lot"] is None
    tl.hold("PCB@L1", reason="lot on hold")
    assert agrees("S1")["held"] is True and agrees("S9")["held"] is False
    tl.release("PCB@L1")
    tl.hold("PCB:S2", reason="one unit")
    assert [agrees(s)["held"] for s in ("S1", "S2")] == [False, True]

    with transaction(tl.engine, write=False) as conn:
        found = resolve(conn, f"]d201{PCB}21S1{GS}17310131")
        unit = found.unit
        assert unit is not None and found.lot is not None
        assert found.item == conn.execute(select(items).where(items.c.code == "PCB")).one()
        assert unit == conn.execute(select(units).where(units.c.id == unit.id)).one()
        assert found.lot == conn.execute(select(lots).where(lots.c.id == unit.lot_id)).one()
        place = conn.execute(select(locations).where(locations.c.id == unit.location_id)).one()
        assert place.code == "A1"
    assert found.unit.unit_cost == Decimal("1.234567")
    assert found.item.standard_cost == Decimal("0.333333")

    tl.move(f"(01){PCB}(21)S1", to="A2")
    assert tl.identify(f"(01){PCB}(21)S1")["location"] == "A2"
    tl.close()


def test_a_scan_kept_from_an_earlier_day_is_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """The last scans read are kept, but not past the day: a two-digit year's century
    follows today's year (GS1's sliding window), so (17)770101 is 1977 read in 2026 and
    2077 read in 2027."""
    from tracelot.domain import scan as scanning

    class On(dt.date):
        day = dt.date(2026, 12, 31)

        @classmethod
        def today(cls) -> dt.date:
            return cls.day

    monkeypatch.setattr(scanning.dt, "date", On)
    text = "]d2010950110153000317770101"
    assert scanning.parse_scan(text).expiry == dt.date(1977, 1, 1)
    assert scanning.parse_scan(text) is scanning.parse_scan(text)  # kept
    On.day = dt.date(2027, 1, 1)
    assert scanning.parse_scan(text).expiry == dt.date(2077, 1, 1)
