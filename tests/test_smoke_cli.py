from conftest import Cli


def test_receiving_a_range_of_serials_puts_them_all_in_stock(setup_basics: Cli) -> None:
    cli = setup_basics
    out = cli("receive", "PCB", "--to", "A1", "--serials", "SN0001..SN0020", "--json")
    assert out.exit_code == 0, out.stderr
    assert out.json()["lines"][0]["qty"] == 20
    rows = cli("stock", "--item", "PCB", "--json").json()
    assert [(r["location_path"], r["qty"]) for r in rows] == [("WH/A1", 20)]
