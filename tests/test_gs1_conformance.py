"""GS1 conformance, judged by GS1's own Barcode Syntax Engine (tests/data/gs1-engine).

The engine is built with the C compiler once per test session (a run without a compiler
skips these tests and says so). A differential test then feeds at least 100,000 inputs
generated from GS1's syntax dictionary (valid messages around every AI, written in every
form tracelot takes, then mutated) to tracelot's scan reader and to the engine: both must
agree on validity and on the AIs and values, in order, and tracelot must never crash.
Every disagreement found on the way stays below as a regression case. A property test
feeds arbitrary text and bytes to the reader and to `tracelot scan --json`: every line
gets its own answer.
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import gs1_engine
import gs1_inputs
import pytest
from conftest import Cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tracelot.domain as tracelot_domain
from tracelot.domain.gs1_dictionary import dictionary
from tracelot.domain.scan import InvalidScan, parse_scan

#: how many generated inputs one run compares (TRACELOT_GS1_INPUTS, TRACELOT_GS1_SEED)
INPUTS = int(os.environ.get("TRACELOT_GS1_INPUTS", "100000"))
SEED = int(os.environ.get("TRACELOT_GS1_SEED", "20260127"))
GS = "\x1d"

#: Inputs on which tracelot and GS1's engine once disagreed (or tracelot crashed).
REGRESSIONS = [
    f"]C1010950600013435210ABC{GS}30",  # an empty (30) raised decimal.InvalidOperation
    f"]C1010950600013435210ABC{GS}37",
    "(7023)95424EcWJ%4Zw:yf3WntTnA_Jv'\x00mIc(424)074(01)14471388405264",  # NUL
    "]Q1HTTPS\x00://example.com/01/88878245452537?3313=186701",
    f"]d201095060001343522110ABC{GS}17270630",  # a fixed-length value after a serial
    "]d20109506000134352" + "21Kv992yyk8fG25h400a",  # a real DataMatrix serial: read
    "(01)09506000134352(402)12345678901234560",  # (402) check digit: wrong
    "(01)09506000134352(7007)250101250131",  # a harvest date range
    "(01)09506000134352(3922)1234",  # a price without a measure
    "(8200)https://example.com",  # (8200) alone
    "(01)09506000134352(3102)001000(3103)000100",  # two net weights
    "(01)09506000134352(8006)095060001343520102",  # (01) with (8006)
    "(01)09506000134352(21)A(21)B",  # a repeat with another value
    "(01)09506000134352(21)A(21)A",  # a repeat with the same value: kept
    "(01)09506000134352(7006)250100",  # day 00 where a day is required
    "(8017)950600013435200005",  # GSRN check digit
    "(8013)1987654Ad4X4bL5ttr2310c2K",  # GMN check character pair
    "(8014)1987654Ad4X4bL5ttr2310c2K(01)09506000134352",
    "(415)9506000134352(8020)ABC(8007)GB82WEST12345698765432",  # IBAN
    "(01)09506000134352(422)999",  # ISO 3166: no country 999 here
    "(01)09506000134352(422)276",
    "(8110)106141412345501106501013034",  # a coupon
    "HTTPS://id.gs1.org/01/09506000134352/10/ABC",
    "https://example.com/shop/01/01/09506000134352",
    "https://example.com/01/9506000134352",  # a zero-suppressed GTIN: refused
    "https://example.com/01/09506000134352?21=S1",  # a serial in the query
    "https://example.com/01/09506000134352?10=L1",  # a qualifier in the query
    "https://example.com/01/09506000134352?9999=1",  # an unknown AI in the query
    "https://example.com/01/09506000134352?17=270101&linkType=all#x",
    "https://example.com/01/09506000134352/10/A%2FB?17=270101&99=a+b",
    "]C0ABC123",
    "]E04006381333931",
    "]E04006381333931|]e010ABC",
    "]E4" + "96385074",
    "]I109506000134352",
    "09506000134352",
    "010950600013435210L1|17270630",
    "(01)09506000134352(10)L1|(17)270630",
    "^0109506000134352^10L1",
    "(01)09506000134352" + "(91)A" * 61 + "|(92)B",  # 64 AIs with a composite's |: too many
    "(01)09506000134352" + "(91)A" * 62 + "|(92)B",
    "0109506000134352" + f"91A{GS}" * 61 + "|92B",
    "0109506000134352" + f"91A{GS}" * 62 + "|92B",
]


@pytest.mark.parametrize("text", REGRESSIONS)
def test_tracelot_reads_every_regression_case_as_gs1s_engine_does(
    judge: gs1_engine.Judge, text: str
) -> None:
    mine = gs1_engine.tracelot_verdict(text)
    theirs = judge.verdict(text)
    if theirs is None:  # no GS1 data: read as a code, never refused for its syntax
        assert mine.valid and mine.elements == (), (text, mine)
        return
    assert mine.valid == theirs.valid, (text, mine, theirs)
    assert mine.elements == theirs.elements, (text, mine, theirs)


@pytest.mark.slow
def test_tracelot_agrees_with_gs1s_engine_on_100000_generated_inputs(
    judge: gs1_engine.Judge,
) -> None:
    rng = random.Random(SEED)
    start = time.perf_counter()
    compared = valid = 0
    disagreements: list[tuple[str, gs1_engine.Verdict, gs1_engine.Verdict]] = []
    crashes: list[tuple[str, str]] = []
    for _, text in zip(range(INPUTS), gs1_inputs.inputs(dictionary(), rng), strict=False):
        try:
            mine = gs1_engine.tracelot_verdict(text)
        except Exception as e:  # noqa: BLE001 - a crash is what this test looks for
            crashes.append((text, repr(e)))
            continue
        theirs = judge.verdict(text)
        if theirs is None:
            continue
        compared += 1
        valid += theirs.valid
        if mine.valid != theirs.valid or mine.elements != theirs.elements:
            disagreements.append((text, mine, theirs))
    took = time.perf_counter() - start
    print(f"{INPUTS} inputs (seed {SEED}), {compared} judged by GS1's engine, {valid} valid, "
          f"{len(disagreements)} disagreements, {len(crashes)} crashes, {took:.1f} s")  # fmt: skip
    assert not crashes, crashes[:10]
    assert not disagreements, disagreements[:10]
    assert compared > 0.9 * INPUTS and 0.2 * compared < valid < 0.8 * compared


PREFIXES = ["", "]C1", "]d2", "]Q3", "]e0", "]J1", "]E0", "]E4", "]Q1", "]d1", "(", "^",
            GS, "https://a.example/", "HTTPS://A.EXAMPLE/x/01/", "http://x/"]  # fmt: skip
AIS = ["01", "10", "21", "17", "30", "37", "3103", "3922", "422", "8006", "8017", "253",
       "402", "7007", "00", "414", "254", "8020", "415", "8007", "99", "7003", "8013",
       "235"]  # fmt: skip
GS1ISH = st.text(alphabet="0123456789()^|" + GS + "]/:?=&%.-#+ABCxyz~ ", max_size=24)


@settings(max_examples=1500, deadline=None)
@given(
    prefix=st.sampled_from(PREFIXES),
    parts=st.lists(st.tuples(st.sampled_from(AIS), GS1ISH), min_size=1, max_size=4),
    sep=st.sampled_from([GS, "", "^", "/", "|", "&"]),
)
def test_tracelot_agrees_with_gs1s_engine_on_fuzzed_gs1ish_text(
    judge: gs1_engine.Judge, prefix: str, parts: list[tuple[str, str]], sep: str
) -> None:
    bracketed = prefix == "("
    text = ("" if bracketed else prefix) + sep.join(
        (f"({ai})" if bracketed else ai) + value for ai, value in parts
    )
    mine = gs1_engine.tracelot_verdict(text)
    theirs = judge.verdict(text)
    if theirs is not None:
        assert (mine.valid, mine.elements) == (theirs.valid, theirs.elements), (text, mine, theirs)


@settings(max_examples=400, deadline=None)
@given(text=st.one_of(st.text(max_size=80), st.binary(max_size=80).map(
    lambda b: b.decode("latin-1"))))  # fmt: skip
def test_any_text_is_read_or_refused_as_that_scan(text: str) -> None:
    try:
        scan = parse_scan(text)
    except InvalidScan as e:
        assert str(e)
        return
    assert scan.form in ("gs1", "hri", "digital_link", "gtin", "tracelot", "plain")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(st.binary(max_size=40).filter(lambda b: b"\n" not in b), max_size=6))
def test_scan_json_answers_every_line_whatever_bytes_come(cli: Cli, lines) -> None:  # noqa: ANN001
    payload = [ln for ln in lines if ln.decode("utf-8", "replace").strip("\r\n").strip()]
    good = b"]C1010950600013435210ABC"
    stdin = b"\n".join([*lines, good, b"]C1010950600013435210ABC\x1d30", good]) + b"\n"
    outcome = cli("scan", "--json", input=stdin)  # type: ignore[arg-type]
    # JSON Lines end each line with \n alone: a scan's text may hold U+2028 or U+0085,
    # which str.splitlines would also take for line ends
    rows = [json.loads(line) for line in outcome.stdout.split("\n") if line]
    assert len(rows) == len(payload) + 3, (rows, outcome.stderr)
    assert rows[-2]["valid"] is False and "(30)" in rows[-2]["error"]
    assert rows[-1]["valid"] is True and rows[-3]["valid"] is True
    assert outcome.exit_code == 1  # a GTIN no item has: valid, not ok


def test_the_python_api_answers_every_regression_case_with_its_own_result(db_url: str) -> None:
    """`identify` (behind `POST /api/v1/scans` and the web pages' scan box) answers each
    scan by itself: valid or not as GS1's engine says, never an exception."""
    import tracelot

    with tracelot.connect(db_url, user="gs1") as tl:
        for text in [*REGRESSIONS, ":", "@", "]C1", "]", "\udcff", "]Q1\x01", "TL:U:"]:
            result = tl.identify(text)
            assert result["input"] == text and result["ok"] is False, result
            assert result["error"], result


def test_the_dictionary_tracelot_ships_is_gs1s_as_the_tests_hold_it() -> None:
    """The product reads GS1's syntax dictionary from its package data; it is the very
    file of the tests' data (and GS1's engine embeds the same release)."""
    shipped = Path(tracelot_domain.__file__).parent / "gs1data"
    tested = Path(__file__).parent / "data" / "gs1"
    for name in ("gs1-syntax-dictionary.txt", "SOURCE.txt", "LICENSE-gs1-syntax-dictionary.txt"):
        assert (shipped / name).read_bytes() == (tested / name).read_bytes(), name
    assert dictionary().release == "2026-01-27"
    embedded = (gs1_engine.ENGINE / "c-lib" / "aitable.inc").read_text()
    assert (
        "2026-01-27" in embedded
        or "Release: 2026-01-27"
        in (gs1_engine.ENGINE / "c-lib" / "gs1-syntax-dictionary.txt").read_text()
    )
