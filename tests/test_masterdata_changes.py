"""Master data that can change, with its history (issue 19 point 3): `item set`,
`location set` (name, parent, kind, GLN, pick sequence), `party set`, `user set`;
`deactivate` and `reactivate` of items, locations, parties and users, an inactive one
refused for new operations (with its reason, exit 1, nothing changed) and kept for
history, stock and traces; every change in `changes` with who, when, before and after;
the same over HTTP with its roles. `verify` stays clean."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import Cli, snapshot
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

import tracelot
from tracelot.server import Settings, create_app

PREFIX = "/api/v1"


@pytest.fixture
def world(setup_basics: Cli) -> Cli:
    """The basics, a second warehouse with a zone and a bin, and some stock in WH/A1."""
    cli = setup_basics
    for args in [
        ("location", "add", "WH2", "--kind", "warehouse"),
        ("location", "add", "Z2", "--parent", "WH2", "--kind", "zone"),
        ("location", "add", "B2", "--parent", "Z2"),
        ("receive", "PCB", "--to", "A1", "--serials", "SN01..SN03", "--supplier", "CELLCO"),
        ("receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "10"),
    ]:
        outcome = cli(*args)
        assert outcome.exit_code == 0, outcome.stderr
    return cli


def _changes(cli: Cli, *args: str) -> list[dict]:
    outcome = cli("changes", *args, "--json")
    assert outcome.exit_code == 0, outcome.stderr
    return outcome.json()


def _verified(cli: Cli) -> None:
    outcome = cli("verify")
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr


# -- set ------------------------------------------------------------------------------


def test_item_set_changes_its_fields_and_the_change_log_says_who_when_before_after(
    world: Cli,
) -> None:
    out = world("item", "set", "PCB", "--uom", "PCS", "--shelf-life", "90", "--name", "Board",
                "--gtin", "09506000134352", "--json", user="alice")  # fmt: skip
    assert out.exit_code == 0, out.stderr
    item = out.json()
    assert (item["uom"], item["shelf_life_days"], item["name"]) == ("PCS", 90, "Board")
    assert item["gtin"] == "09506000134352" and item["active"] is True
    rows = _changes(world, "--item", "PCB")
    added = [r for r in rows if r["before"] is None and r["field"] == "tracking"]
    assert added and added[0]["after"] == "serial" and added[0]["user"] == "tester"
    changed = {r["field"]: r for r in rows if r["user"] == "alice"}
    assert set(changed) == {"uom", "shelf_life_days", "name", "gtin", "gtins"}
    assert (changed["uom"]["before"], changed["uom"]["after"]) == ("EA", "PCS")
    assert (changed["name"]["before"], changed["name"]["after"]) == ("Main board", "Board")
    assert changed["shelf_life_days"]["before"] is None
    assert {r["entity"] for r in rows} == {"item"} and all(r["at"] for r in rows)
    # the GTIN names it now: a scan of it finds the item
    assert world("where", "(01)09506000134352(21)SN01").exit_code == 0


def test_an_items_tracking_changes_only_before_it_has_a_ledger(world: Cli, refused) -> None:
    refused("item", "set", "PCB", "--tracking", "lot", match="tracking (serial) can not change")
    out = world("item", "set", "DEV", "--tracking", "lot", "--json")
    assert out.exit_code == 0 and out.json()["tracking"] == "lot"
    refused("item", "set", "DEV", "--tracking", "bulk", match="tracking must be")


def test_party_set_and_its_contacts_are_in_the_change_log(world: Cli) -> None:
    out = world("party", "set", "ACME", "--name", "Acme Inc", "--email", "qa@acme.example")
    assert out.exit_code == 0, out.stderr
    rows = [r for r in _changes(world, "--party", "ACME") if r["before"] is not None
            or r["field"] == "email"]  # fmt: skip
    assert {(r["field"], r["before"], r["after"]) for r in rows} == {
        ("name", "Acme Corp", "Acme Inc"), ("email", None, "qa@acme.example"),
    }  # fmt: skip


def test_location_set_renames_and_gives_a_gln_and_a_pick_sequence(world: Cli, refused) -> None:
    out = world("location", "set", "A2", "--name", "Aisle 2", "--gln", "9506000134352",
                "--pick-sequence", "20", "--json")  # fmt: skip
    assert out.exit_code == 0, out.stderr
    shown = out.json()
    assert (shown["name"], shown["gln"], shown["pick_sequence"]) == ("Aisle 2", "9506000134352", 20)
    fields = {r["field"]: r["after"] for r in _changes(world, "--location", "A2")
              if r["before"] is not None or r["field"] in ("gln", "pick_sequence")}  # fmt: skip
    assert fields == {"name": "Aisle 2", "gln": "9506000134352", "pick_sequence": "20"}
    refused("location", "set", "A1", "--gln", "9506000134352", match="already names location A2")
    refused("location", "set", "A1", "--gln", "123", match="GLN")
    refused("location", "set", "A1", "--kind", "shelf", match="location kind must be one of")
    refused("location", "set", "A1", match="nothing to change")
    refused("location", "set", "NOPE", "--name", "x", match="NOPE")
    refused("location", "set", "SUPPLIER", "--name", "x", match="virtual")


def test_a_location_moves_under_another_parent_with_its_subtree(world: Cli) -> None:
    out = world("location", "set", "Z2", "--parent", "WH", "--json")
    assert out.exit_code == 0, out.stderr
    assert out.json()["location_path"] == "WH/Z2" and out.json()["parent"] == "WH"
    paths = {r["location"]: r["location_path"] for r in world("location", "list", "--json").json()}
    assert paths["Z2"] == "WH/Z2" and paths["B2"] == "WH/Z2/B2"
    moved = world("move", "PCB:SN01", "--to", "B2", "--json")
    assert moved.exit_code == 0, moved.stderr
    assert world("where", "PCB:SN01", "--json").json()[0]["location_path"] == "WH/Z2/B2"
    rows = [r for r in _changes(world, "--location", "Z2") if r["before"] is not None]
    assert [(r["field"], r["before"], r["after"]) for r in rows] == [("parent", "WH2", "WH")]
    # holding stock now, it stays in WH; an empty one goes to the top level as a warehouse
    assert world("location", "set", "Z2", "--parent", "").exit_code == 1
    world("location", "add", "Z3", "--parent", "WH2", "--kind", "zone")
    top = world("location", "set", "Z3", "--parent", "", "--kind", "warehouse", "--json").json()
    assert (top["location_path"], top["parent"], top["kind"]) == ("Z3", None, "warehouse")
    _verified(world)


def test_a_location_holding_stock_stays_in_its_warehouse_and_keeps_its_kind(
    world: Cli, refused
) -> None:
    refused("location", "set", "A1", "--parent", "Z2", match="holds stock")
    refused("location", "set", "WH", "--parent", "B2", match="holds stock")
    refused("location", "set", "A1", "--kind", "production", match="holds stock")
    refused("location", "set", "WH", "--parent", "A1", match="is WH or below it")
    # within its warehouse it moves, stock and all
    world("location", "add", "ZA", "--parent", "WH", "--kind", "zone")
    out = world("location", "set", "A1", "--parent", "ZA", "--json")
    assert out.exit_code == 0, out.stderr
    assert world("where", "PCB:SN02", "--json").json()[0]["location_path"] == "WH/ZA/A1"
    assert world("location", "set", "A1", "--kind", "zone").exit_code == 0  # stock still in_stock
    _verified(world)


def test_the_database_still_refuses_a_location_code_change_and_a_parent_change_by_hand(
    world: Cli, db_url: str
) -> None:
    engine = create_engine(db_url)
    for statement in ("UPDATE locations SET code = 'X1' WHERE code = 'A1'",
                      "UPDATE locations SET parent_id = NULL WHERE code = 'B2'",
                      "DELETE FROM locations WHERE code = 'B2'"):  # fmt: skip
        with pytest.raises(Exception, match="location"), engine.begin() as conn:
            conn.execute(text(statement))
    engine.dispose()


def test_user_set_changes_a_role_and_keeps_the_last_admin(world: Cli, refused) -> None:
    assert world("user", "add", "boss", "--role", "admin").exit_code == 0
    assert world("user", "add", "clerk", "--role", "operator").exit_code == 0
    out = world("user", "set", "clerk", "--role", "quality", "--json")
    assert out.exit_code == 0 and out.json()["role"] == "quality"
    assert [(r["field"], r["before"], r["after"]) for r in _changes(world, "--user", "clerk")
            if r["before"] is not None] == [("role", "operator", "quality")]  # fmt: skip
    refused("user", "set", "boss", "--role", "viewer", match="last admin")
    refused("user", "set", "clerk", "--role", "boss", match="role must be one of")
    refused("user", "set", "nobody", "--role", "viewer", match="unknown user")


# -- deactivate and reactivate ----------------------------------------------------------


def test_an_inactive_item_is_refused_in_new_operations_and_kept_for_history(
    world: Cli, refused
) -> None:
    out = world("item", "deactivate", "PCB", "--reason", "end of life", "--json")
    assert out.exit_code == 0, out.stderr
    assert out.json()["active"] is False and out.json()["inactive_reason"] == "end of life"
    refused("receive", "PCB", "--to", "A1", "--serials", "SN09", match="end of life")
    refused("move", "PCB:SN01", "--to", "A2", match="item PCB is inactive")
    refused("ship", "PCB:SN01", "--to", "ACME", match="reactivate")
    refused("po", "create", "CELLCO", "--line", "PCB:1", match="item PCB is inactive")
    world("item", "set", "PCB", "--supplier", "CELLCO", "--min", "10", "--max", "20")
    drafted = world("report", "reorder", "--create-po", "--json")
    assert drafted.exit_code == 0, drafted.stderr
    created = drafted.json()["created"]
    assert "PCB" in created["inactive"] and not created["orders"]
    # kept for history, stock, where and traces
    assert world("where", "PCB:SN01", "--json").json()[0]["location_path"] == "WH/A1"
    assert [r["kind"] for r in world("history", "PCB:SN01", "--json").json()] == ["receive"]
    stock = world("stock", "--item", "PCB", "--json").json()
    assert sum(r["qty"] for r in stock) == 3
    assert world("trace", "backward", "PCB:SN01").exit_code == 0
    assert [i["active"] for i in world("item", "list", "--json").json() if i["item"] == "PCB"] == [
        False
    ]
    row = [r for r in _changes(world, "--item", "PCB") if r["field"] == "active"][-1]
    assert (row["before"], row["after"], row["reason"]) == ("true", "false", "end of life")
    # a correction passes: the receipt is voided
    receipt = world("history", "PCB:SN01", "--json").json()[0]["operation"]
    voided = world("void", str(receipt), "--reason", "wrong supplier")
    assert voided.exit_code == 0, voided.stderr
    refused("item", "deactivate", "PCB", "--reason", "again", match="inactive already")
    assert world("item", "reactivate", "PCB").exit_code == 0
    again = world("receive", "PCB", "--to", "A1", "--serials", "SN09")
    assert again.exit_code == 0, again.stderr
    refused("item", "reactivate", "PCB", match="active already")
    _verified(world)


def test_an_inactive_item_among_many_in_one_operation_is_refused(world: Cli, refused) -> None:
    """More items than are checked one by one, not read yet in the operation (a long
    order's picks): the database is asked for the first inactive one, and the refusal
    names it."""
    for k in range(10):
        world("item", "add", f"Q{k}", "--name", f"Q {k}", "--tracking", "lot")
        assert world("receive", f"Q{k}", "--to", "A1", "--lot", "L", "--qty", "2").exit_code == 0
    lines = [a for k in range(10) for a in ("--line", f"Q{k}:2")]
    assert world("so", "create", "ACME", *lines, "--confirm").exit_code == 0
    assert world("so", "pick-scan", "1", *[f"Q{k}@L=2" for k in range(10)]).exit_code == 0
    world("item", "deactivate", "Q7", "--reason", "superseded")
    refused("ship", "--so", "1", match="item Q7 is inactive (superseded)")
    assert world("where", "Q3@L", "--json").json()[0]["location_path"] == "WH/A1"
    world("item", "reactivate", "Q7")
    shipped = world("ship", "--so", "1")
    assert shipped.exit_code == 0, shipped.stderr


def test_an_inactive_location_and_what_is_below_it_take_no_stock(world: Cli, refused) -> None:
    assert world("location", "deactivate", "A2", "--reason", "rack removed").exit_code == 0
    refused("move", "PCB:SN01", "--to", "A2", match="rack removed")
    refused("receive", "SCREW", "--to", "A2", "--qty", "5", match="location A2 is inactive")
    assert world("location", "deactivate", "WH2", "--reason", "closed").exit_code == 0
    refused("move", "CELL@L1", "--to", "B2", "--qty", "2", match="location WH2 is inactive")
    listed = {r["location"]: r["active"] for r in world("location", "list", "--json").json()}
    assert listed["A2"] is False and listed["B2"] is True and listed["A1"] is True
    assert world("location", "reactivate", "WH2").exit_code == 0
    assert world("move", "CELL@L1", "--to", "B2", "--qty", "2").exit_code == 0
    _verified(world)


def test_a_location_holding_stock_is_not_deactivated(world: Cli, refused) -> None:
    refused("location", "deactivate", "A1", "--reason", "x", match="holds stock (CELL 10 at WH/A1")
    refused("location", "deactivate", "WH", "--reason", "x", match="holds stock")
    refused("location", "deactivate", "SUPPLIER", "--reason", "x", match="virtual")
    refused("location", "deactivate", "NOPE", "--reason", "x", match="NOPE")


def test_an_inactive_party_is_refused_as_customer_and_supplier(world: Cli, refused) -> None:
    assert world("party", "deactivate", "ACME", "--reason", "stopped trading").exit_code == 0
    refused("ship", "PCB:SN01", "--to", "ACME", match="stopped trading")
    assert world("ship", "PCB:SN01", "--to", "GLOBEX").exit_code == 0
    assert world("party", "deactivate", "CELLCO", "--reason", "bankrupt").exit_code == 0
    refused("receive", "CELL", "--to", "A1", "--lot", "L2", "--qty", "1", "--supplier",
            "CELLCO", match="party CELLCO is inactive")  # fmt: skip
    refused("po", "create", "CELLCO", "--line", "CELL:10", match="party CELLCO is inactive")
    parties = {p["party"]: p["active"] for p in world("party", "list", "--json").json()}
    assert parties == {"ACME": False, "CELLCO": False, "GLOBEX": True}
    assert world("party", "reactivate", "ACME").exit_code == 0
    assert world("ship", "PCB:SN02", "--to", "ACME").exit_code == 0
    _verified(world)


def test_an_inactive_user_does_no_operations(world: Cli, db_url: str) -> None:
    assert world("user", "add", "clerk", "--role", "operator").exit_code == 0
    out = world("user", "deactivate", "clerk", "--reason", "left the company", "--json")
    assert out.exit_code == 0 and out.json()["active"] is False and out.json()["disabled"]
    before = snapshot(db_url)
    moved = world("move", "PCB:SN01", "--to", "A2", user="clerk")
    assert moved.exit_code == 1 and "left the company" in moved.stderr
    assert snapshot(db_url) == before
    assert world("user", "reactivate", "clerk").exit_code == 0
    assert world("move", "PCB:SN01", "--to", "A2", user="clerk").exit_code == 0
    rows = [(r["field"], r["after"]) for r in _changes(world, "--user", "clerk")]
    assert rows[-2:] == [("active", "false"), ("active", "true")]


def test_bad_deactivations_are_refused(world: Cli, refused) -> None:
    refused("item", "deactivate", "PCB", "--reason", "  ", match="reason")
    refused("item", "deactivate", "NOPE", "--reason", "x", match="unknown item")
    refused("party", "deactivate", "NOPE", "--reason", "x", match="unknown party")
    refused("user", "deactivate", "nobody", "--reason", "x", match="unknown user")
    refused("item", "reactivate", "PCB", match="active already")
    assert world("item", "deactivate", "PCB").exit_code == 2  # --reason is required


# -- the change log ---------------------------------------------------------------------


def test_changes_lists_every_change_filtered_and_refuses_bad_filters(world: Cli, refused) -> None:
    world("location", "set", "A2", "--name", "Aisle 2", user="bob")
    everything = _changes(world)
    assert {r["entity"] for r in everything} == {"item", "location", "party"}
    assert [r["at"] for r in everything] == sorted(r["at"] for r in everything)
    assert all(set(r) >= {"entity", "code", "field", "before", "after", "user", "at"}
               for r in everything)  # fmt: skip
    assert _changes(world, "--since", "2999-01-01") == []
    assert len(_changes(world, "--since", "2000-01-01")) == len(everything)
    mine = _changes(world, "--location", "A2")
    assert {r["code"] for r in mine} == {"A2"} and mine[-1]["user"] == "bob"
    table = world("changes", "--location", "A2")
    assert table.exit_code == 0 and "Aisle 2" in table.stdout
    refused("changes", "--item", "NOPE", match="unknown item")
    refused("changes", "--since", "yesterday", match="not a date")
    both = _changes(world, "--item", "PCB", "--location", "A2")  # of either
    assert {(r["entity"], r["code"]) for r in both} == {("item", "PCB"), ("location", "A2")}


# -- over HTTP --------------------------------------------------------------------------


@pytest.fixture
def api(world: Cli, db_url: str) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    with tracelot.connect(db_url) as tl:
        heads = {}
        for role in ("viewer", "operator", "planner", "admin"):
            tl.add_user(f"u_{role}", role=role)
            heads[role] = {"Authorization": f"Bearer {tl.create_token(f'u_{role}')['token']}"}
    with TestClient(create_app(Settings(database_url=db_url))) as client:
        yield client, heads


def test_master_data_changes_over_http_with_their_roles(api, db_url: str) -> None:
    client, heads = api
    planner, operator, admin = heads["planner"], heads["operator"], heads["admin"]
    patched = client.patch(f"{PREFIX}/items/PCB", headers=planner,
                           json={"uom": "PCS", "shelf_life_days": 30})  # fmt: skip
    assert patched.status_code == 200, patched.json()
    assert patched.json()["uom"] == "PCS" and patched.json()["active"] is True
    # the server keeps the locations it read: a new parent is seen at once
    assert (
        client.get(f"{PREFIX}/where", headers=operator, params={"ref": "PCB:SN01"}).status_code
        == 200
    )
    moved = client.patch(f"{PREFIX}/locations/Z2", headers=planner, json={"parent": "WH"})
    assert moved.status_code == 200 and moved.json()["location_path"] == "WH/Z2"
    there = client.post(f"{PREFIX}/operations/move", headers=operator,
                        json={"refs": ["PCB:SN01"], "to": "B2"})  # fmt: skip
    assert there.status_code == 201, there.json()
    where = client.get(f"{PREFIX}/where", headers=operator, params={"ref": "PCB:SN01"}).json()
    assert where[0]["location_path"] == "WH/Z2/B2"
    # deactivated: refused in an operation with the reason, 409
    off = client.post(f"{PREFIX}/items/CELL/deactivate", headers=planner,
                      json={"reason": "obsolete"})  # fmt: skip
    assert off.status_code == 200 and off.json()["active"] is False
    before = snapshot(db_url)
    refused = client.post(f"{PREFIX}/operations/move", headers=operator,
                          json={"refs": ["CELL@L1"], "to": "A2", "qty": 1})  # fmt: skip
    assert refused.status_code == 409 and refused.json()["code"] == "inactive"
    assert "obsolete" in refused.json()["detail"]
    assert snapshot(db_url) == before
    assert client.post(f"{PREFIX}/items/CELL/reactivate", headers=planner).status_code == 200
    for path in ("locations/A2", "parties/GLOBEX"):
        done = client.post(f"{PREFIX}/{path}/deactivate", headers=planner, json={"reason": "x"})
        assert done.status_code == 200 and done.json()["active"] is False, done.json()
        assert client.post(f"{PREFIX}/{path}/reactivate", headers=planner).status_code == 200
    # roles: an operator changes no master data; users are the admin's
    assert client.post(f"{PREFIX}/items/PCB/deactivate", headers=operator,
                       json={"reason": "x"}).status_code == 403  # fmt: skip
    assert client.patch(f"{PREFIX}/locations/A2", headers=operator,
                        json={"name": "x"}).status_code == 403  # fmt: skip
    assert client.patch(f"{PREFIX}/users/u_viewer", headers=planner,
                        json={"role": "operator"}).status_code == 403  # fmt: skip
    role = client.patch(f"{PREFIX}/users/u_viewer", headers=admin, json={"role": "operator"})
    assert role.status_code == 200 and role.json()["role"] == "operator"
    gone = client.post(
        f"{PREFIX}/users/u_viewer/deactivate", headers=admin, json={"reason": "left"}
    )
    assert gone.status_code == 200 and gone.json()["active"] is False
    assert client.get(f"{PREFIX}/items", headers=heads["viewer"]).status_code == 401
    assert client.post(f"{PREFIX}/users/u_viewer/reactivate", headers=admin).status_code == 200
    # bad input: 4xx, nothing changed
    before = snapshot(db_url)
    for method, path, body, status in [
        ("patch", "locations/NOPE", {"name": "x"}, 404),
        ("patch", "locations/A1", {"parent": "WH2"}, 409),  # holds stock, other warehouse
        ("patch", "locations/A1", {"kind": "shelf"}, 422),
        ("patch", "locations/A1", {"code": "A9"}, 422),  # a code never changes
        ("patch", "items/PCB", {"tracking": "lot"}, 409),
        ("post", "locations/A1/deactivate", {"reason": "x"}, 409),
        ("post", "items/PCB/deactivate", {"reason": ""}, 422),
        ("post", "parties/NOPE/deactivate", {"reason": "x"}, 404),
    ]:
        answer = getattr(client, method)(f"{PREFIX}/{path}", headers=planner, json=body)
        assert answer.status_code == status, (path, answer.json())
    assert snapshot(db_url) == before
    # the change log
    log = client.get(f"{PREFIX}/changes", headers=operator, params={"item": "PCB"})
    assert log.status_code == 200
    fields = [(r["field"], r["before"], r["after"], r["user"]) for r in log.json()["items"]
              if r["before"] is not None]  # fmt: skip
    assert ("uom", "EA", "PCS", "u_planner") in fields
    users_log = client.get(f"{PREFIX}/changes", headers=operator, params={"user": "u_viewer"})
    assert [r["field"] for r in users_log.json()["items"]][-3:] == ["role", "active", "active"]
    assert client.get(f"{PREFIX}/changes", headers=operator,
                      params={"since": "soon"}).status_code == 422  # fmt: skip
    assert client.get(f"{PREFIX}/changes", headers=operator,
                      params={"location": "NOPE"}).status_code == 404  # fmt: skip


def test_a_location_deactivated_while_stock_goes_there_is_refused(world: Cli, db_url) -> None:
    """A move into A2 that has not committed yet, and a deactivation of A2 at
    the same moment: the deactivation waits for it and sees its stock (one winner)."""
    import threading
    import time

    from tracelot.domain.errors import NotAvailable

    moving = threading.Event()
    with tracelot.connect(db_url, user="mover") as mover, tracelot.connect(db_url) as keeper:

        def move_slowly() -> None:
            with mover.atomic() as batch:
                batch.move("PCB:SN01", to="A2")
                moving.set()
                time.sleep(1.0)

        thread = threading.Thread(target=move_slowly)
        thread.start()
        assert moving.wait(30)
        with pytest.raises(NotAvailable, match="holds stock"):
            keeper.deactivate("location", "A2", reason="closing")
        thread.join()
        assert keeper.where("PCB:SN01")[0]["location_path"] == "WH/A2"
        assert all(r["active"] for r in keeper.locations())
        assert keeper.verify().ok
