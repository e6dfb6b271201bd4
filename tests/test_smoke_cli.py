from conftest import Cli


def test_receiving_a_range_of_serials_puts_them_all_in_stock(setup_basics: Cli) -> None:
    cli = setup_basics
    out = cli("receive", "PCB", "--to", "A1", "--serials", "SN0001..SN0020", "--json")
    assert out.exit_code == 0, out.stderr
    assert out.json()["lines"][0]["qty"] == 20
    rows = cli("stock", "--item", "PCB", "--json").json()
    assert [(r["location_path"], r["qty"]) for r in rows] == [("WH/A1", 20)]


def test_every_command_takes_json() -> None:
    import click
    import typer.main

    from tracelot.cli.main import app

    root = typer.main.get_command(app)
    ctx = click.Context(root)
    missing = []

    def walk(command: click.Command, path: list[str]) -> None:
        if hasattr(command, "list_commands"):  # a group (typer has its own classes)
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), [*path, name])
        elif "--json" not in {o for p in command.params for o in getattr(p, "opts", [])}:
            missing.append(" ".join(path))

    walk(root, [])
    assert missing == []


def test_file_writing_commands_say_what_they_wrote_in_json(setup_basics, tmp_path) -> None:
    cli = setup_basics
    assert cli("receive", "PCB", "--to", "A1", "--serials", "S1,S2").exit_code == 0
    labels = cli("label", "PCB:S1", "PCB:S2", "--out", str(tmp_path / "l.pdf"), "--json").json()
    assert labels == {"written": [str(tmp_path / "l.pdf")], "labels": 2}
    assert (tmp_path / "l.pdf").read_bytes().startswith(b"%PDF")
    exported = cli("export", "items", "--out", str(tmp_path / "items.csv"), "--json").json()
    assert exported["written"] == str(tmp_path / "items.csv") and exported["bytes"] > 0
    listing = cli("export", "items", "--json").json()
    assert {row["code"] for row in listing} >= {"PCB"}
    template = cli("import", "template", "parties", "--json").json()
    assert "email" in [c["column"] for c in template["columns"]]
    cli("user", "add", "ann", "--role", "viewer")
    token = cli("token", "create", "--user", "ann", "--json").json()
    assert token["token"].startswith("tl_")
    assert cli("token", "revoke", str(token["id"]), "--json").json() == {"revoked": token["id"]}
    again = cli("init", "--json").json()
    assert again["admin_password"] is None and again["schema"]
