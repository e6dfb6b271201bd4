"""`tracelot demo`: the demo data set loads whole, adds up, and is refused a second time.

The demo is loaded once (it takes a few seconds) and then questioned through the CLI.
"""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

from conftest import Cli

TOUR = Path(__file__).resolve().parents[1] / "scripts" / "tour"


def totals(rows: list[dict]) -> dict[str, Decimal]:
    """Quantity on hand per item, from `stock --json` rows."""
    out: dict[str, Decimal] = {}
    for r in rows:
        out[r["item"]] = out.get(r["item"], Decimal(0)) + Decimal(str(r["qty"]))
    return out


def nodes(node: dict, children: str):  # noqa: ANN201
    yield node
    for child in node[children]:
        yield from nodes(child, children)


def test_the_demo_loads_adds_up_and_is_refused_a_second_time(cli: Cli, refused) -> None:
    loaded = cli("demo", "--json")
    assert loaded.exit_code == 0, loaded.stderr
    summary = loaded.json()
    examples = summary["examples"]
    today = dt.datetime.now(dt.UTC).date()

    # the summary's counts are what the database reports
    assert summary["items"] == len(cli("item", "list", "--json").json()) == 7
    assert summary["locations"] == len(cli("location", "list", "--json").json()) == 10
    parties = cli("party", "list", "--json").json()
    assert summary["parties"] == len(parties)
    customers = {p["party"] for p in parties if p["kind"] == "customer"}
    assert len(customers) >= 3 and len(parties) - len(customers) >= 2
    stock = cli("stock", "--json").json()
    on_hand = {item: Decimal(str(qty)) for item, qty in summary["on_hand"].items()}
    assert on_hand == totals(stock)
    devices = summary["devices"]
    assert 50 <= devices["built"] <= 100
    assert devices["in_stock"] == on_hand["DEV"] == devices["built"] - devices["shipped"]
    units = cli("stock", "--item", "DEV", "--serials", "--json").json()
    assert len(units) == devices["in_stock"]
    assert summary["operations"] >= 300 and summary["units"] > devices["built"]
    assert dt.date.fromisoformat(summary["from"]) <= today - dt.timedelta(days=100)

    # the ledger replays to the projections
    verified = cli("verify", "--json")
    assert verified.exit_code == 0, verified.stdout
    assert verified.json()["ok"]

    # adhesive: expired stock and stock expiring within 30 days, both still on hand
    glue = cli("stock", "--item", "GLUE", "--json").json()
    expired = {r["lot"] for r in glue if r["expired"]}
    soon = {
        r["lot"]
        for r in glue
        if not r["expired"] and dt.date.fromisoformat(r["expires"]) <= today + dt.timedelta(30)
    }
    assert expired and soon
    assert {f"GLUE@{lot}" for lot in expired} == set(examples["expired_lots"])
    assert {f"GLUE@{lot}" for lot in soon} == set(examples["expiring_lots"])

    # a shipped device names its customer
    shipped = cli("where", examples["shipped_unit"], "--json").json()[0]
    assert shipped["status"] == "shipped"
    assert shipped["customer"] == examples["customer"] and shipped["customer"] in customers

    # tracing a device backward reaches a supplier's lot of cells, through its pack
    trace = cli("trace", "backward", examples["repaired_unit"], "--json").json()
    found = list(nodes(trace["roots"][0], "inputs"))
    cells = [n for n in found if n["item"] == "CELL"]
    assert cells and cells[0]["supplier"] == examples["supplier"]
    assert cells[0]["supplier_lot"] == examples["supplier_lot"]
    assert any(n["item"] == "PACK" for n in found)
    assert any(n["item"] == "PCB" and n["removed"] for n in found)  # the repair
    forward = cli(
        "trace", "forward", "--supplier", examples["supplier"],
        "--supplier-lot", examples["supplier_lot"], "--json",
    ).json()  # fmt: skip
    reached = {r["customer"] for r in forward["affected"] if r["item"] == "DEV"}
    assert len(reached - {None}) >= 3

    # the tour shows the references the demo has
    tour = TOUR.read_text()
    assert f"SHIPPED={examples['shipped_unit']}" in tour
    assert f"REPAIRED={examples['repaired_unit']}" in tour
    assert f"SUPPLIER={examples['supplier']}" in tour
    assert f"SUPPLIER_LOT={examples['supplier_lot']}" in tour
    for ref in re.findall(r"\b(?:DEV:|CELL@)[A-Z0-9-]+", tour):
        assert cli("where", ref).exit_code == 0, ref

    # a second load is refused and changes nothing
    refused("demo", match="not empty")


def test_the_demo_loads_only_into_an_empty_database(cli: Cli, refused) -> None:
    assert cli("location", "add", "WH", "--kind", "warehouse").exit_code == 0
    refused("demo", "--json", match="it has 1 location)")
