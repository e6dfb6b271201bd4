"""One command per operation: checked once when made, spelled once for the CLI, the API
and the Python API (the mapping is tested here), and bad input refused through each with
nothing changed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from collections.abc import Iterator
from decimal import Decimal

import pytest
import typer
from conftest import Cli, snapshot
from fastapi.testclient import TestClient
from pydantic import BaseModel

import tracelot
from tracelot.api import schemas as api_schemas
from tracelot.api.routes import quality as quality_routes
from tracelot.api.routes import voids as void_routes
from tracelot.cli.main import app as cli_app
from tracelot.domain import commands as c
from tracelot.domain.errors import InvalidInput
from tracelot.domain.values import format_qty, qty_number
from tracelot.server import Settings, create_app

PREFIX = "/api/v1"

# command -> (its API request model or None, its CLI command's path, the API's own fields,
# the CLI's own options, the fields the API takes from the path)
MAPPING: dict[
    type, tuple[type[BaseModel] | None, tuple[str, ...], set[str], set[str], set[str]]
] = {
    c.Receive: (
        api_schemas.ReceiveRequest,
        ("receive",),
        set(),
        {"asn", "keep_packed", "label"},  # keep_packed: with --asn (issue 20)
        set(),
    ),
    c.Move: (api_schemas.MoveRequest, ("move",), set(), set(), set()),
    c.Ship: (api_schemas.ShipRequest, ("ship",), set(), set(), set()),
    c.Return: (api_schemas.ReturnRequest, ("return",), set(), set(), set()),
    # like scrap's, the reason is the operation's note: the API's `note` is not used
    c.ReturnToSupplier: (
        api_schemas.ReturnToSupplierRequest,
        ("return-to-supplier",),
        {"note"},
        set(),
        set(),
    ),  # fmt: skip
    # the API's scrap has always taken a `note` it ignores: the reason is the note
    c.Scrap: (api_schemas.ScrapRequest, ("scrap",), {"note"}, set(), set()),
    c.Adjust: (api_schemas.AdjustRequest, ("adjust",), set(), set(), set()),
    c.Build: (api_schemas.BuildRequest, ("build",), set(), set(), set()),
    # a run's outputs come from a --plan file on the command line; the API has no run
    c.BuildRun: (None, ("build-run",), set(), {"plan"}, set()),
    c.Replace: (api_schemas.ReplaceRequest, ("replace",), set(), set(), set()),
    c.Hold: (quality_routes.HoldRequest, ("hold",), set(), set(), set()),
    c.Release: (quality_routes.ReleaseRequest, ("release",), set(), set(), set()),
    c.OpenRecall: (quality_routes.RecallRequest, ("recall", "open"), set(), set(), set()),
    c.ExtendRecall: (
        quality_routes.ExtendRequest,
        ("recall", "extend"),
        set(),
        set(),
        {"recall_id"},
    ),  # fmt: skip
    # the API's mark also takes one `ref` (as it always has) beside `refs`
    c.MarkRecall: (quality_routes.MarkRequest, ("recall", "mark"), {"ref"}, set(), {"recall_id"}),
    c.CloseRecall: (
        quality_routes.CloseRequest,
        ("recall", "close"),
        set(),
        set(),
        {"recall_id"},
    ),  # fmt: skip
    c.Void: (void_routes.VoidRequest, ("void",), set(), set(), {"operation"}),
}
# stock counts (issue 19): the API takes the count's number from the path
from tracelot.api.routes import counts as count_routes  # noqa: E402

MAPPING |= {
    c.StartCount: (count_routes.StartCountRequest, ("count", "start"), set(), set(), set()),
    c.CountScans: (
        count_routes.CountScansRequest,
        ("count", "scan"),
        set(),
        set(),
        {"count_id"},
    ),  # fmt: skip
    c.PostCount: (count_routes.PostCountRequest, ("count", "post"), set(), set(), {"count_id"}),
    c.CancelCount: (
        count_routes.CancelCountRequest,
        ("count", "cancel"),
        set(),
        set(),
        {"count_id"},
    ),  # fmt: skip
}
# issue 19: incoming inspection and transfers
from tracelot.api.routes import flow as flow_routes  # noqa: E402

MAPPING |= {
    c.InspectPass: (flow_routes.InspectPassRequest, ("inspect", "pass"), set(), set(), set()),
    c.InspectFail: (flow_routes.InspectFailRequest, ("inspect", "fail"), set(), set(), set()),
    c.Transfer: (flow_routes.TransferRequest, ("transfer", "send"), set(), set(), set()),
    c.ReceiveTransfer: (
        flow_routes.TransferReceiveRequest,
        ("transfer", "receive"),
        set(),
        set(),
        {"transfer_id"},
    ),  # fmt: skip
}
# issue 20: sales orders; the API takes the order's number from the path, and its ship
# route the order from the path too (the operations route takes `so` in the body)
from tracelot.api.routes import orders as order_routes  # noqa: E402

MAPPING |= {
    c.CreateSalesOrder: (
        order_routes.CreateSalesOrderRequest,
        ("so", "create"),
        set(),
        set(),
        set(),
    ),  # fmt: skip
    c.ConfirmSalesOrder: (order_routes.ReserveRequest, ("so", "confirm"), set(), set(), {"so_id"}),
    c.ReserveSalesOrder: (order_routes.ReserveRequest, ("so", "reserve"), set(), set(), {"so_id"}),
    c.CancelSalesOrder: (order_routes.CancelRequest, ("so", "cancel"), set(), set(), {"so_id"}),
    c.PickScans: (order_routes.PickRequest, ("so", "pick-scan"), set(), set(), {"so_id"}),
}
# issue 20: packing into cases and pallets
from tracelot.api.routes import packing as packing_routes  # noqa: E402

MAPPING |= {
    c.Pack: (packing_routes.PackRequest, ("pack",), set(), set(), set()),
    c.Unpack: (packing_routes.UnpackRequest, ("unpack",), set(), set(), set()),
}
#: Options every command line has beside its command's fields
CLI_COMMON = {"as_json", "old_ref"}
#: Fields a command line reads from elsewhere: a run's outputs from its --plan file
CLI_ELSEWHERE = {"outputs"}


def _kind(annotation: object) -> str:
    """What a field holds, whatever the entry point's spelling: a quantity, a date, text,
    a list of text, a flag, a whole number (None left aside)."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        kinds = {_kind(a) for a in args}
        # a list, or the CLI's list or range syntax as one string (CONVENTIONS)
        return "list" if kinds == {"list", "text"} else "|".join(sorted(kinds))
    if origin is typing.Annotated:
        return _kind(args[0])
    if origin in (list, tuple):
        inner = {_kind(a) for a in args if a is not Ellipsis}
        return "pair" if len(args) == 2 and args[1] is not Ellipsis else "list" * bool(inner)
    return {
        Decimal: "qty", dt.date: "date", str: "text", bool: "flag", int: "number",
    }.get(annotation, "other")  # type: ignore[call-overload]  # fmt: skip


def _cli_params(path: tuple[str, ...]) -> dict[str, typing.Any]:
    """The parameters of a command of `tracelot` (the click objects Typer made)."""
    command = typer.main.get_command(cli_app)
    for name in path:
        command = command.get_command(typer.Context(command), name)  # type: ignore[attr-defined]
    return {p.name: p for p in command.params if p.name}


@pytest.mark.parametrize("command", c.COMMANDS, ids=lambda k: k.__name__)
def test_each_command_is_what_its_api_body_and_its_command_line_take(command: type) -> None:
    model, path, api_only, cli_only, from_path = MAPPING[command]
    hints = typing.get_type_hints(command)
    fields = set(c.field_names(command))
    # the API's body: the same names (`from` is `from_`), the same kinds of value
    if model is not None:
        body = model.model_fields
        assert set(body) - api_only == fields - from_path, model.__name__
        for name in fields - from_path:
            assert _kind(body[name].annotation) == _kind(hints[name]), (model.__name__, name)
    # the command line: an option or argument per field, lists repeatable, flags flags
    params = _cli_params(path)
    assert set(params) - CLI_COMMON - cli_only == fields - CLI_ELSEWHERE, path
    for name, param in params.items():
        if name not in fields:
            continue
        kind = _kind(hints[name])
        if kind == "flag":
            assert getattr(param, "is_flag", False), (path, name)
        elif kind in ("list", "pair"):
            # a list is repeated (or variadic); serials and a recall's serials are one spec
            assert param.multiple or param.nargs != 1 or name == "serials", (path, name)
        else:
            assert param.nargs == 1 and not param.multiple, (path, name)
    # and the Python API: every command is run by the facade
    assert command in c.COMMANDS


def test_the_old_name_of_reference_still_works_and_is_hidden(setup_basics: Cli) -> None:
    cli = setup_basics
    out = cli("receive", "SCREW", "--to", "A1", "--qty", "5", "--ref", "DN-1", "--json")
    assert out.exit_code == 0, out.stderr
    assert out.json()["reference"] == "DN-1"
    out = cli("ship", "SCREW", "--to", "ACME", "--qty", "2", "--reference", "SO-1", "--json")
    assert out.json()["reference"] == "SO-1"
    shown = cli("ship", "--help").stdout
    assert "--reference" in shown and "--ref " not in shown


# -- checked once, when made ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: c.Move(refs=("SCREW",), to="A2", qty="-5"), "greater than zero"),
        (lambda: c.Move(refs=("SCREW",), to="A2", qty="0"), "greater than zero"),
        (lambda: c.Move(refs=("SCREW",), to="A2", qty="1e2x"), "must be a number"),
        (lambda: c.Move(refs=(), to="A2"), "name what to move"),
        (lambda: c.Move(refs=("SCREW",), to=" "), "--to"),
        (lambda: c.Receive(item="PCB", to="A1", serials=[]), "no serials"),
        (lambda: c.Receive(item="PCB", to="A1", serials="S0005..S0001"), "runs backwards"),
        (lambda: c.Receive(item="PCB", to="A1", serials="S1,S1"), "repeated"),
        (lambda: c.Receive(to="A1"), "name the ITEM, or give --scan"),
        (lambda: c.Receive(item="X", to="A1", qty=1, expires="2030-02-30"), "not a date"),
        (lambda: c.Receive(item="X", to="A1", qty=1, reference="R" * 201), "reference"),
        (lambda: c.Ship(refs=("SCREW",), to="ACME", qty=Decimal("0.0000001")), "decimal places"),
        (lambda: c.Scrap(ref="PCB:S1", reason="  "), "--reason"),
        (lambda: c.Adjust(item="SCREW", at="A1", counted="-1"), "greater than zero"),
        (lambda: c.Build(item="DEV", to="LINE", consume=()), "--consume"),
        (
            lambda: c.Replace(assembly="D:1", remove="P:1", install="P:2", to="A1", scrap=True),
            "not both",
        ),  # fmt: skip
        (lambda: c.Hold(ref="PCB:S1", reason=""), "--reason"),
        (lambda: c.OpenRecall(reason="x", serials="S1..S3"), "needs --item"),
        (lambda: c.ExtendRecall(recall_id=0, refs=("PCB:S1",)), "recall"),
        (lambda: c.Void(operation=0, reason="wrong"), "operation"),
        (lambda: c.Void(operation="x", reason="wrong"), "operation"),
        (lambda: c.Void(operation=3, reason=" "), "--reason"),
    ],
)
def test_a_command_refuses_bad_input_when_it_is_made(make, match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        make()


def test_a_command_holds_its_values_parsed_and_cannot_be_changed() -> None:
    receipt = c.Receive(item="PCB", to=" A1 ", serials="S0001..S0003,X9", qty="3.50",
                        expires="2030-01-31")  # fmt: skip
    assert receipt.serials == ("S0001", "S0002", "S0003", "X9")
    assert receipt.qty == Decimal("3.50") and receipt.to == "A1"
    assert receipt.expires == dt.date(2030, 1, 31)
    with pytest.raises(dataclasses.FrozenInstanceError):
        receipt.qty = Decimal(1)  # type: ignore[misc]
    assert c.Move(refs="PCB:S1", to="A2").refs == ("PCB:S1",)


@pytest.mark.parametrize(
    ("value", "text", "number"),
    [
        (Decimal("5.000"), "5", 5),
        (Decimal("2.50"), "2.5", 2.5),
        (Decimal("0.000001"), "0.000001", 0.000001),
        (Decimal("1E+3"), "1000", 1000),
        (
            Decimal("12345678901234567890123456789012"),
            "12345678901234567890123456789012",
            12345678901234567890123456789012,
        ),  # fmt: skip
    ],
)
def test_one_formatter_writes_every_quantity(value: Decimal, text: str, number: object) -> None:
    assert format_qty(value) == text
    assert qty_number(value) == number and type(qty_number(value)) is type(number)


# -- refused through each entry point, nothing changed ------------------------------------------


@pytest.fixture
def stocked(setup_basics: Cli) -> Cli:
    cli = setup_basics
    for args in [
        ("receive", "PCB", "--to", "A1", "--serials", "S0001..S0005"),
        ("receive", "SCREW", "--to", "A1", "--qty", "100"),
    ]:
        assert cli(*args).exit_code == 0
    return cli


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("move", "SCREW", "--to", "A2", "--qty", "-5"), "greater than zero"),
        (("ship", "SCREW", "--to", "ACME", "--qty", "0"), "greater than zero"),
        (("receive", "PCB", "--to", "A1", "--serials", "S0005..S0001"), "runs backwards"),
        (("receive", "PCB", "--to", "A1", "--serials", ","), "empty serial"),
        (("adjust", "SCREW", "--at", "A1", "--counted", "-1"), "greater than zero"),
        (("hold", "PCB:S0001", "--reason", " "), "--reason"),
        (("recall", "open", "--reason", "x", "--serials", "S1..S3"), "needs --item"),
    ],
)
def test_the_command_line_refuses_bad_input_and_changes_nothing(
    stocked: Cli, refused, args: tuple[str, ...], match: str
) -> None:
    refused(*args, match=match)


@pytest.fixture
def api(stocked: Cli, db_url: str) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with tracelot.connect(db_url) as tl:
        tl.add_user("boss", role="admin")
        token = tl.create_token("boss")["token"]
    with TestClient(create_app(Settings(database_url=db_url))) as client:
        yield client, {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("path", "body", "match"),
    [
        ("/operations/move", {"refs": ["SCREW"], "to": "A2", "qty": -5}, "greater than zero"),
        ("/operations/receive", {"item": "PCB", "to": "A1", "serials": []}, "no serials"),
        (
            "/operations/receive",
            {"item": "PCB", "to": "A1", "serials": "S0005..S0001"},
            "runs backwards",
        ),  # fmt: skip
        ("/operations/receive", {"to": "A1", "qty": 1}, "name the ITEM"),
        ("/operations/ship", {"refs": [], "to": "ACME"}, "name what to ship"),
        ("/operations/adjust", {"item": "SCREW", "at": "A1", "counted": -1}, "greater than zero"),
        ("/holds", {"ref": "PCB:S0001", "reason": ""}, "--reason"),
        ("/recalls/1/extend", {"refs": []}, "name what to add"),
    ],
)
def test_the_api_refuses_bad_input_with_422_and_changes_nothing(
    api, db_url: str, path: str, body: dict, match: str
) -> None:
    client, headers = api

    def state() -> dict:  # a token's last use is noted: nothing else may change
        return {table: rows for table, rows in snapshot(db_url).items() if table != "api_tokens"}

    before = state()
    answer = client.post(PREFIX + path, json=body, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert match.lower() in answer.json()["detail"].lower()
    assert state() == before


def test_the_python_api_runs_a_command_or_takes_named_parameters(stocked: Cli, tl) -> None:
    moved = tl.run(c.Move(refs=("SCREW",), to="A2", qty="10", reference="T-1"))
    assert (moved.kind, moved.reference) == ("move", "T-1")
    shipped = tl.ship("SCREW", to="ACME", qty=5, reference="SO-2")
    assert shipped.reference == "SO-2"
    got = tl.receive("SCREW", to="A1", qty="1", ref="DN-7")  # `ref`: the old name
    assert got.reference == "DN-7"
    with pytest.raises(InvalidInput, match="greater than zero"):
        tl.move("SCREW", to="A2", qty=-1)
