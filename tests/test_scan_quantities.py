"""Quantities from a scan (issue 22, point 4): (30) and (37) counts; a trade measure
(310n-369n) for an item kept in that unit, with the decimal point the AI gives; a
variable-measure GTIN (indicator 9) resolved to its item."""

from __future__ import annotations

from conftest import Cli

from tracelot.domain.values import gtin_check_digit


def check(body: str) -> str:
    return body + str(gtin_check_digit(body))


CHEESE = "0" + check("614141001234")  # a GTIN-13, as 14 digits
CHEESE_VARIABLE = check("9" + CHEESE[1:13])  # the same item sold by weight: indicator 9
BOLT = check("0614141009999")


def test_counts_and_measures_become_the_quantity_received(setup_basics: Cli, refused) -> None:
    cli = setup_basics
    for args in [
        ("item", "add", "CHEESE", "--name", "Cheese", "--uom", "kg", "--tracking", "lot"),
        ("item", "gtin", "add", "CHEESE", CHEESE),
        ("item", "add", "BOLT", "--name", "Bolt", "--tracking", "lot"),  # kept in EA
        ("item", "gtin", "add", "BOLT", BOLT),
    ]:
        assert cli(*args).exit_code == 0, args

    weighed = f"(01){CHEESE_VARIABLE}(10)W1(3103)001250"  # 1.250 kg
    got = cli("receive", "--scan", weighed, "--to", "A1", "--json")
    assert got.exit_code == 0, got.stderr
    assert [(ln["item"], ln["lot"], ln["qty"]) for ln in got.json()["lines"]] == [
        ("CHEESE", "W1", 1.25)
    ]
    shown = cli("scan", "--json", input=f"(01){CHEESE_VARIABLE}(10)W1(3102)002500\n").json()
    assert (shown["item"], shown["lot"]) == ("CHEESE", "W1")
    refused("receive", "--scan", f"(01){CHEESE}(10)W2(3101)000125", "--qty", "2", "--to",
            "A1", match="disagrees with the scan's 12.5")  # fmt: skip

    counted = cli("receive", "--scan", f"(01){BOLT}(10)B1(30)24", "--to", "A1", "--json")
    assert counted.json()["lines"][0]["qty"] == 24
    # a net weight of a bolt pack is no count of bolts: one pack
    weighed_pack = cli("receive", "--scan", f"(01){BOLT}(10)B2(3103)000500", "--to", "A1",
                       "--json")  # fmt: skip
    assert weighed_pack.json()["lines"][0]["qty"] == 1
