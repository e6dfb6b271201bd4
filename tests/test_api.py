"""The REST API through an HTTP client against the ASGI app (and one real `tracelot serve`
process): authentication, the permission table for every role and route, problem+json
refusals that change nothing, idempotent operations, and the acting user."""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Iterator

import httpx
import pytest
from conftest import Cli, serving, snapshot
from fastapi.testclient import TestClient

import tracelot
from tracelot.api.app import permissions
from tracelot.domain.roles import ROLES, may
from tracelot.domain.values import gtin_check_digit
from tracelot.server import Settings, create_app

PREFIX = "/api/v1"


@pytest.fixture
def api(setup_basics: Cli, db_url: str) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The app on the test database with stock to work on, and a token for every role."""
    cli = setup_basics
    for args in [
        ("receive", "PCB", "--to", "A1", "--serials", "SN0001..SN0005"),
        ("receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "100"),
        ("receive", "SCREW", "--to", "A1", "--qty", "10000"),
        ("receive", "PCB", "--to", "A2", "--serials", "R0001..R0300"),
        ("recall", "open", "PCB:R0001", "--reason", "first"),
        ("ship", "SCREW", "--to", "ACME", "--qty", "500"),
    ]:
        assert cli(*args).exit_code == 0
    with tracelot.connect(db_url) as tl:
        tokens = {}
        for role in ROLES:
            tl.add_user(f"u_{role}", role=role)
            tokens[role] = tl.create_token(f"u_{role}")["token"]
    with TestClient(create_app(Settings(database_url=db_url))) as client:
        yield client, tokens


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_health_readiness_and_the_documented_schema(api) -> None:
    client, _ = api
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/readyz").json()["status"] == "ready"
    schema = client.get(f"{PREFIX}/openapi.json").json()
    routes = [
        (path, method, op) for path, ops in schema["paths"].items() for method, op in ops.items()
    ]
    assert len(routes) >= 20
    assert all(op.get("summary") for _, _, op in routes), "every route has a summary"
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/static/docs/swagger-ui-bundle.js" in docs.text
    assert "http" not in docs.text.split("<body>")[1].split("url:")[0]  # nothing from a CDN
    assert client.get("/static/docs/swagger-ui-bundle.js").status_code == 200


def test_not_ready_when_the_schema_is_behind(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with TestClient(create_app(Settings(database_url=url))) as client:
        answer = client.get("/readyz")
        assert answer.status_code == 503 and "tracelot init" in answer.json()["detail"]
        assert client.get("/healthz").status_code == 200


def _gtins() -> Iterator[str]:
    for n in itertools.count(1):
        body = f"0950600{n:06d}"
        yield body + str(gtin_check_digit(body))


def _examples(tl: tracelot.Tracelot) -> dict[tuple[str, str], callable]:
    """A valid request for every route, new each call (codes and serials do not repeat;
    what a call needs, such as a recall to close, is made first through the Python API)."""
    n = itertools.count(1)
    gtins = _gtins()
    job_id = tl.job_create("verify")["job"]  # a job to follow
    units = (f"PCB:R{k:04d}" for k in itertools.count(2))

    def recall_of_its_own() -> int:
        return tl.recall_open(reason="to close", refs=[next(units)])["recall"]

    shipped: list[int] = []

    def recall_of_a_shipment() -> int:
        """A recall that reached customer ACME (made once)."""
        if not shipped:
            ref = next(units)
            tl.ship(ref, to="ACME", reference="SO-9")
            shipped.append(tl.recall_open(reason="reached a customer", refs=[ref])["recall"])
        return shipped[0]

    def held() -> str:
        ref = next(units)
        tl.hold(ref, reason="to release")
        return ref

    def repairable() -> dict:
        old, new, serial = next(units), next(units), f"RD{next(n)}"
        tl.build("DEV", to="A1", serial=serial, consume=[old])
        return {"assembly": f"DEV:{serial}", "remove": old, "install": new, "scrap": True}

    def user() -> str:
        name = f"user{next(n)}"
        tl.add_user(name, role="viewer")
        return name

    tl.add_party("SUP", name="A supplier", kind="supplier")

    def retired(plural: str, *, active: bool) -> str:
        """A new item, location, party or user: active, or deactivated already."""
        code = f"R{next(n)}"
        if plural == "items":
            tl.add_item(code, name=code, tracking="none")
        elif plural == "locations":
            tl.add_location(code, parent="WH")
        elif plural == "parties":
            tl.add_party(code, name=code, kind="customer")
        else:
            code = user()
        if not active:
            tl.deactivate(plural.removesuffix("s").replace("partie", "party"), code, reason="old")
        return code

    def draft() -> int:
        return tl.po_create("SUP", lines=["SCREW:5"], draft=True)["id"]

    def announced() -> dict:
        """A supplier's shipping event of a new unit: an advance shipping notice."""
        return _partner_shipment(f"urn:tracelot:item:PCB:serial:ASN{next(n)}")

    def asn() -> int:
        tl.epcis_import(announced())
        return tl.asns(status="open")[-1]["asn"]

    def bin_of_its_own() -> str:
        code = f"CB{next(n)}"
        tl.add_location(code)
        return code

    def count_of_its_own() -> int:
        return tl.count_start(bin_of_its_own())["count"]

    examples = {
        ("GET", "/api/v1/counts"): lambda: {},
        ("POST", "/api/v1/counts"): lambda: {"json": {"at": bin_of_its_own(), "blind": True}},
        ("GET", "/api/v1/counts/{count_id}"): lambda: {"path": {"count_id": count_of_its_own()}},
        ("POST", "/api/v1/counts/{count_id}/scans"): lambda: {
            "path": {"count_id": count_of_its_own()},
            "json": {"scans": [next(units)]},
        },  # fmt: skip
        ("POST", "/api/v1/counts/{count_id}/cancel"): lambda: {
            "path": {"count_id": count_of_its_own()},
            "json": {"reason": "started by mistake"},
        },
        ("POST", "/api/v1/counts/{count_id}/post"): lambda: {
            "path": {"count_id": count_of_its_own()},
            "json": {},
        },  # fmt: skip
        ("GET", "/api/v1/counts/{count_id}/report"): lambda: {
            "path": {"count_id": count_of_its_own()},
            "params": {"format": "pdf"},
        },  # fmt: skip
        ("GET", "/api/v1/trace/backward"): lambda: {"params": {"ref": "PCB:SN0001"}},
        ("GET", "/api/v1/trace/forward"): lambda: {"params": {"ref": "CELL@L1", "format": "csv"}},
        ("GET", "/api/v1/holds"): lambda: {},
        ("GET", "/api/v1/reports/expiring"): lambda: {"params": {"within_days": 60}},
        ("GET", "/api/v1/reports/valuation"): lambda: {"params": {"by": "location"}},
        ("GET", "/api/v1/reports/turnover"): lambda: {"params": {"format": "csv"}},
        ("GET", "/api/v1/reports/reorder"): lambda: {"params": {"all": True}},
        ("POST", "/api/v1/reports/reorder/purchase-orders"): lambda: {},
        ("GET", "/api/v1/reports/excess"): lambda: {"params": {"days_of_cover": 10}},
        ("GET", "/api/v1/reports/abc"): lambda: {"params": {"format": "svg"}},
        ("GET", "/api/v1/reports/level/{item}"): lambda: {"path": {"item": "SCREW"}},
        ("GET", "/api/v1/purchase-orders"): lambda: {"params": {"status": "draft"}},
        ("POST", "/api/v1/purchase-orders"): lambda: {
            "json": {"supplier": "SUP", "lines": [{"item": "SCREW", "qty": 5, "price": 0.2}]}
        },
        ("GET", "/api/v1/purchase-orders/{po_id}"): lambda: {"path": {"po_id": draft()}},
        ("POST", "/api/v1/purchase-orders/{po_id}/open"): lambda: {"path": {"po_id": draft()}},
        ("POST", "/api/v1/purchase-orders/{po_id}/close"): lambda: {"path": {"po_id": draft()}},
        ("POST", "/api/v1/imports/{kind}"): lambda: {
            "path": {"kind": "parties"},
            "content": f"code,name,kind\nIMP{next(n)},Imported,customer\n".encode(),
            "headers": {"Content-Type": "text/csv"},
        },
        ("GET", "/api/v1/exports/{kind}"): lambda: {
            "path": {"kind": "ledger"},
            "params": {"format": "json", "from": "2020-01-01"},
        },
        ("GET", "/api/v1/epcis/events"): lambda: {"params": {"eventType": "ObjectEvent"}},
        ("POST", "/api/v1/epcis/capture"): lambda: {"json": announced()},
        ("GET", "/api/v1/asns"): lambda: {"params": {"status": "open"}},
        ("GET", "/api/v1/asns/{asn}"): lambda: {"path": {"asn": asn()}},
        ("POST", "/api/v1/asns/{asn}/receive"): lambda: {
            "path": {"asn": asn()},
            "json": {"to": "A1"},
        },
        ("PATCH", "/api/v1/items/{code}"): lambda: {
            "path": {"code": "SCREW"},
            "json": {"category": f"fasteners{next(n)}", "lead_time_days": 7},
        },
        ("POST", "/api/v1/expire"): lambda: {},
        ("GET", "/api/v1/pick"): lambda: {"params": {"item": "CELL", "qty": 3}},
        ("POST", "/api/v1/holds"): lambda: {"json": {"ref": next(units), "reason": "check"}},
        ("POST", "/api/v1/holds/release"): lambda: {"json": {"ref": held()}},
        ("GET", "/api/v1/recalls"): lambda: {},
        ("GET", "/api/v1/recalls/{recall_id}"): lambda: {"path": {"recall_id": 1}},
        ("GET", "/api/v1/recalls/{recall_id}/notify-list"): lambda: {"path": {"recall_id": 1}},
        ("POST", "/api/v1/recalls"): lambda: {"json": {"reason": "bad", "refs": [next(units)]}},
        ("POST", "/api/v1/recalls/{recall_id}/marks"): lambda: {
            "path": {"recall_id": 1},
            "json": {"ref": "PCB:R0001", "disposition": "located"},
        },
        ("POST", "/api/v1/recalls/{recall_id}/extend"): lambda: {
            "path": {"recall_id": 1},
            "json": {"refs": [next(units)]},
        },
        ("GET", "/api/v1/recalls/{recall_id}/notices"): lambda: {
            "path": {"recall_id": recall_of_a_shipment()}
        },
        ("POST", "/api/v1/recalls/{recall_id}/notices"): lambda: {
            "path": {"recall_id": recall_of_a_shipment()},
            "json": {"send": False},
        },
        ("GET", "/api/v1/recalls/{recall_id}/notices/{customer}.pdf"): lambda: {
            "path": {"recall_id": recall_of_a_shipment(), "customer": "ACME"}
        },
        ("POST", "/api/v1/recalls/{recall_id}/close"): lambda: {
            "path": {"recall_id": recall_of_its_own()},
            "json": {"force": True, "reason": "done"},
        },
        ("POST", "/api/v1/labels"): lambda: {"json": {"refs": ["PCB:SN0001", "A1"]}},
        ("POST", "/api/v1/jobs/receive"): lambda: {
            "json": {"item": "PCB", "to": "A1", "serials": [f"JOB{next(n):05d}"]}
        },
        ("POST", "/api/v1/jobs/imports/{kind}"): lambda: {
            "path": {"kind": "stock"},
            "headers": {"Content-Type": "text/csv"},
            "content": b"item,location,qty\nSCREW,A1,1\n",
        },
        ("POST", "/api/v1/jobs/verify"): lambda: {},
        ("GET", "/api/v1/jobs/{job_id}"): lambda: {"path": {"job_id": job_id}},
        ("GET", "/api/v1/users"): lambda: {},
        ("POST", "/api/v1/users"): lambda: {"json": {"name": f"new{next(n)}", "role": "viewer"}},
        ("POST", "/api/v1/users/{name}/role"): lambda: {
            "path": {"name": user()},
            "json": {"role": "planner"},
        },
        ("POST", "/api/v1/users/{name}/disable"): lambda: {"path": {"name": user()}},
        ("GET", "/api/v1/tokens"): lambda: {},
        ("POST", "/api/v1/tokens"): lambda: {"json": {"user": "u_viewer", "expires_days": 30}},
        ("DELETE", "/api/v1/tokens/{token_id}"): lambda: {
            "path": {"token_id": tl.create_token("u_viewer")["id"]}
        },
        ("GET", "/api/v1/items"): lambda: {},
        ("GET", "/api/v1/stock.csv"): lambda: {"params": {"serials": True}},
        ("GET", "/api/v1/items/{code}"): lambda: {"path": {"code": "PCB"}},
        ("POST", "/api/v1/items"): lambda: {
            "json": {"code": f"NEW{next(n)}", "name": "New", "tracking": "none"}
        },
        ("POST", "/api/v1/items/{code}/gtins"): lambda: {
            "path": {"code": "SCREW"},
            "json": {"gtin": next(gtins)},
        },
        ("GET", "/api/v1/locations"): lambda: {},
        ("POST", "/api/v1/locations"): lambda: {"json": {"code": f"BIN{next(n)}", "parent": "WH"}},
        ("GET", "/api/v1/parties"): lambda: {},
        ("POST", "/api/v1/parties"): lambda: {
            "json": {"code": f"P{next(n)}", "name": "P", "kind": "customer"}
        },
        ("PATCH", "/api/v1/parties/{code}"): lambda: {
            "path": {"code": "SUP"},
            "json": {"email": f"orders{next(n)}@sup.example"},
        },
        ("GET", "/api/v1/stock"): lambda: {"params": {"item": "PCB"}},
        ("GET", "/api/v1/where"): lambda: {"params": {"ref": "PCB:SN0001"}},
        ("GET", "/api/v1/units/{item}/{serial}"): lambda: {
            "path": {"item": "PCB", "serial": "SN0001"}
        },
        ("GET", "/api/v1/lots/{item}/{lot}"): lambda: {"path": {"item": "CELL", "lot": "L1"}},
        ("GET", "/api/v1/history"): lambda: {"params": {"ref": "PCB:SN0001"}},
        ("GET", "/api/v1/verify"): lambda: {},
        ("POST", "/api/v1/scans"): lambda: {"json": {"scan": "PCB:SN0001"}},
        ("POST", "/api/v1/operations/receive"): lambda: {
            "json": {"item": "SCREW", "to": "A1", "qty": 1}
        },
        ("POST", "/api/v1/operations/move"): lambda: {
            "json": {"refs": ["SCREW"], "from": "A1", "to": "A2", "qty": 1}
        },
        ("POST", "/api/v1/operations/ship"): lambda: {
            "json": {"refs": ["SCREW"], "to": "ACME", "qty": 1, "from": "A1"}
        },
        ("POST", "/api/v1/operations/build"): lambda: {
            "json": {"item": "DEV", "to": "A1", "serial": f"D{next(n)}", "consume": ["SCREW=1"]}
        },
        ("POST", "/api/v1/operations/return-to-supplier"): lambda: {
            "json": {"refs": ["SCREW"], "to": "SUP", "qty": 1, "from": "A1"}
        },
        ("POST", "/api/v1/operations/return"): lambda: {
            "json": {"ref": "SCREW", "from": "ACME", "to": "A1", "qty": 1}
        },
        ("POST", "/api/v1/operations/replace"): lambda: {"json": repairable()},
        ("POST", "/api/v1/operations/scrap"): lambda: {
            "json": {"ref": "SCREW", "reason": "bent", "qty": 1, "from": "A1"}
        },
        ("POST", "/api/v1/operations/adjust"): lambda: {
            "json": {"item": "SCREW", "at": "A2", "counted": 1000 + next(n)}
        },
        ("GET", "/api/v1/operations/{operation_id}"): lambda: {"path": {"operation_id": 1}},
        ("POST", "/api/v1/operations/{operation_id}/void"): lambda: {
            "path": {"operation_id": tl.move(next(units), to="A1").id},
            "json": {"reason": "moved by mistake"},
        },
        # master data that can change, with its history (issue 19)
        ("GET", "/api/v1/changes"): lambda: {"params": {"item": "PCB"}},
        ("PATCH", "/api/v1/locations/{code}"): lambda: {
            "path": {"code": "A2"},
            "json": {"name": f"Aisle {next(n)}"},
        },
        **{
            ("POST", f"/api/v1/{plural}/{{code}}/{switch}"): functools.partial(
                lambda plural, switch: {
                    "path": {"code": retired(plural, active=switch == "deactivate")},
                    "json": {"reason": "retired"} if switch == "deactivate" else None,
                },
                plural,
                switch,
            )
            for plural in ("items", "locations", "parties")
            for switch in ("deactivate", "reactivate")
        },
        ("POST", "/api/v1/users/{name}/deactivate"): lambda: {
            "path": {"name": retired("users", active=True)},
            "json": {"reason": "left"},
        },
        ("POST", "/api/v1/users/{name}/reactivate"): lambda: {
            "path": {"name": retired("users", active=False)}
        },
        ("PATCH", "/api/v1/users/{name}"): lambda: {
            "path": {"name": user()},
            "json": {"role": "operator"},
        },
    }
    examples |= _flow_examples(tl, n)  # issue 19: inspection and transfers
    examples |= _pack_examples(tl, n)  # issue 20: units of measure and pack sizes
    examples |= _order_examples(tl)  # issue 20: sales orders
    examples |= _packing_examples(tl, n)  # issue 20: settings, cases and pallets
    return examples


def _pack_examples(tl: tracelot.Tracelot, n: Iterator[int]) -> dict[tuple[str, str], callable]:
    """The examples of an item's packaging levels (issue 20)."""

    def added() -> str:
        name = f"bag{next(n)}"
        tl.pack_add("SCREW", name=name, qty=10)
        return name

    return {
        ("GET", "/api/v1/items/{code}/packs"): lambda: {"path": {"code": "SCREW"}},
        ("POST", "/api/v1/items/{code}/packs"): lambda: {
            "path": {"code": "SCREW"},
            "json": {"name": f"box{next(n)}", "qty": 12},
        },
        ("DELETE", "/api/v1/items/{code}/packs/{name}"): lambda: {
            "path": {"code": "SCREW", "name": added()}
        },
    }


def _order_examples(tl: tracelot.Tracelot) -> dict[tuple[str, str], callable]:
    """The examples of the sales order routes (issue 20): a draft or an open order of one
    screw, made afresh for each call."""

    def draft() -> int:
        return tl.so_create("ACME", lines=["SCREW:1"])["id"]

    def confirmed() -> int:
        return tl.so_create("ACME", lines=["SCREW:1"], confirm=True)["id"]

    base = "/api/v1/sales-orders"
    return {
        ("GET", base): lambda: {"params": {"status": "open"}},
        ("POST", base): lambda: {"json": {"customer": "ACME", "lines": ["SCREW:1:0.5"]}},
        ("GET", base + "/{so_id}"): lambda: {"path": {"so_id": draft()}},
        ("POST", base + "/{so_id}/confirm"): lambda: {"path": {"so_id": draft()}, "json": {}},
        ("POST", base + "/{so_id}/reserve"): lambda: {"path": {"so_id": confirmed()}, "json": {}},
        ("POST", base + "/{so_id}/cancel"): lambda: {
            "path": {"so_id": confirmed()},
            "json": {"reason": "duplicate"},
        },
        ("GET", base + "/{so_id}/pick-list"): lambda: {"path": {"so_id": confirmed()}},
        ("POST", base + "/{so_id}/picks"): lambda: {
            "path": {"so_id": confirmed()},
            "json": {"scans": ["SCREW=1"]},
        },
        ("GET", base + "/{so_id}/picks"): lambda: {"path": {"so_id": confirmed()}},
        ("POST", base + "/{so_id}/ship"): lambda: {"path": {"so_id": confirmed()}, "json": {}},
    }


def _packing_examples(tl: tracelot.Tracelot, n: Iterator[int]) -> dict[tuple[str, str], callable]:
    """The examples of the settings and packing routes (issue 20): the GS1 prefix set, and
    cases of SCREW packed at A2 (one a call, so each role's call finds its own)."""
    tl.set_setting("gs1_company_prefix", "0614141")
    tl.receive("SCREW", to="A2", qty=1000)

    def case() -> str:
        return tl.pack("SCREW=1", new="case", at_location="A2")["sscc"]

    def shipment() -> int:
        return tl.ship(case(), to="ACME").id

    return {
        ("GET", "/api/v1/settings"): lambda: {},
        ("PUT", "/api/v1/settings"): lambda: {"json": {"currency": "EUR"}},
        ("POST", "/api/v1/pack"): lambda: {
            "json": {"refs": ["SCREW=1"], "new": "case", "at": "A2"}
        },  # fmt: skip
        ("POST", "/api/v1/unpack"): lambda: {"json": {"sscc": case()}},
        # the same two under /operations/, where every other operation is (CONVENTIONS)
        ("POST", "/api/v1/operations/pack"): lambda: {
            "json": {"refs": ["SCREW=1"], "new": "case", "at": "A2"}
        },  # fmt: skip
        ("POST", "/api/v1/operations/unpack"): lambda: {"json": {"sscc": case()}},
        ("GET", "/api/v1/logistic-units"): lambda: {"params": {"all": True}},
        ("GET", "/api/v1/logistic-units/{lu}"): lambda: {"path": {"lu": case()}},
        ("GET", "/api/v1/logistic-units/{lu}/label"): lambda: {"path": {"lu": case()}},
        ("GET", "/api/v1/operations/{operation}/slip"): lambda: {"path": {"operation": shipment()}},
    }


def _flow_examples(tl: tracelot.Tracelot, n: Iterator[int]) -> dict[tuple[str, str], callable]:
    """The examples of the inspection and transfer routes (issue 19): a second site, and
    an item received from SUP that waits for inspection in WH's quarantine."""
    tl.add_location("WH2", kind="warehouse")
    tl.add_location("WHQ", parent="WH", kind="quarantine")
    tl.add_item("INS", name="Inspected", tracking="lot")
    tl.item_set_inspection("INS", inspect=True)

    def waiting() -> str:
        lot = f"I{next(n)}"
        tl.receive("INS", to="A1", lot=lot, qty=2, supplier="SUP")
        return f"INS@{lot}"

    def sent() -> int:
        return tl.transfer("SCREW=1", from_="WH", to="WH2")["transfer"]

    return {
        ("PUT", "/api/v1/items/{code}/inspection"): lambda: {
            "path": {"code": "INS"},
            "json": {"inspect_on_receipt": True, "supplier": "SUP"},
        },
        ("GET", "/api/v1/inspections"): lambda: {"params": {"all": True}},
        ("POST", "/api/v1/inspections/pass"): lambda: {"json": {"refs": [waiting()], "to": "A2"}},
        ("POST", "/api/v1/inspections/fail"): lambda: {
            "json": {"refs": [waiting()], "reason": "wet", "return_to_supplier": True}
        },
        ("GET", "/api/v1/transfers"): lambda: {"params": {"all": True}},
        ("POST", "/api/v1/transfers"): lambda: {
            "json": {"refs": ["SCREW"], "qty": 2, "from": "WH", "to": "WH2", "carrier": "UPS"}
        },
        ("GET", "/api/v1/transfers/{transfer_id}"): lambda: {"path": {"transfer_id": sent()}},
        ("POST", "/api/v1/transfers/{transfer_id}/receive"): lambda: {
            "path": {"transfer_id": sent()},
            "json": {},
        },
    }


def _partner_shipment(epc: str) -> dict:
    return {
        "@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-20T08:00:00Z",
        "epcisBody": {"eventList": [{
            "type": "ObjectEvent", "eventTime": "2026-11-20T07:00:00Z",
            "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "shipping",
            "epcList": [epc], "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.0"},
        }]},
    }  # fmt: skip


def _call(client: TestClient, method: str, path: str, request: dict, headers: dict):
    url = path.format(**request.get("path", {}))
    return client.request(
        method, url, json=request.get("json"), params=request.get("params"),
        content=request.get("content"), headers={**request.get("headers", {}), **headers},
    )  # fmt: skip


def test_every_role_against_every_route(api, db_url: str) -> None:
    client, tokens = api
    table = permissions()
    setup = tracelot.connect(db_url, user="setup")
    examples = _examples(setup)
    assert {(m, p) for m, p, _ in table} == set(examples), "an example for every route"
    for method, path, capability in table:
        anonymous = _call(client, method, path, examples[(method, path)](), {})
        assert anonymous.status_code == 401, (method, path)
        assert anonymous.headers["content-type"] == "application/problem+json"
        for role in ROLES:
            got = _call(client, method, path, examples[(method, path)](), auth(tokens[role]))
            if may(role, capability):
                assert 200 <= got.status_code < 300, (role, method, path, got.json())
            else:
                assert got.status_code == 403, (role, method, path, got.status_code)
                assert got.json()["code"] == "forbidden"
    setup.close()


def test_refusals_are_problems_and_change_nothing(api, db_url: str) -> None:
    client, tokens = api
    operator = auth(tokens["operator"])

    def state() -> dict:  # all but the tokens' last use, which any request notes
        return {table: rows for table, rows in snapshot(db_url).items() if table != "api_tokens"}

    before = state()
    cases = [
        ("operations/move", {"refs": ["PCB:SN0001"], "to": "NOWHERE"}, 404, "not_found"),
        ("operations/ship", {"refs": ["CELL@L1"], "to": "ACME", "qty": 101}, 409,
         "insufficient_stock"),
        ("operations/receive", {"item": "PCB", "to": "A1", "serials": "SN0001"}, 409,
         "already_exists"),
        ("operations/receive", {"item": "CELL", "to": "A1", "qty": -3, "lot": "L2"}, 422,
         "invalid_input"),
        ("operations/move", {"refs": "PCB:SN0001"}, 422, "invalid_input"),
        ("operations/move", {"refs": ["PCB:SN0001"], "to": "A2", "bogus": 1}, 422,
         "invalid_input"),
        ("scans", {"scan": 5}, 422, "invalid_input"),
        ("operations/ship", {"refs": ["PCB:SN0001"], "to": "ACME", "reference": "a\x00b"}, 422,
         "invalid_input"),  # no database keeps a NUL
        ("operations/adjust", {"item": "SCREW", "at": "A1", "counted": 1e30}, 422,
         "invalid_input"),
    ]  # fmt: skip
    for path, body, status, code in cases:
        answer = client.post(f"{PREFIX}/{path}", json=body, headers=operator)
        assert answer.status_code == status, (path, body, answer.json())
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["code"] == code and problem["status"] == status and problem["detail"]
    assert client.get(f"{PREFIX}/items/NOPE", headers=operator).json()["code"] == "not_found"
    patch = {"Content-Type": "Application/merge-patch+json"}  # JSON too, as FastAPI reads it
    sneaky = client.post(f"{PREFIX}/locations", content=b'{"code": "A\\u0000B"}',
                         headers=auth(tokens["admin"]) | patch)  # fmt: skip
    assert sneaky.status_code == 422 and "NUL" in sneaky.json()["detail"]
    nul = client.get(f"{PREFIX}/where", params={"ref": "PCB:SN\x000"}, headers=operator)
    assert nul.status_code == 422 and "NUL" in nul.json()["detail"]
    huge = client.get(f"{PREFIX}/recalls/{2**40}", headers=auth(tokens["quality"]))
    assert huge.status_code == 422
    garbage = client.post(f"{PREFIX}/operations/move", content=b"{not json", headers=operator)
    assert garbage.status_code == 422
    assert state() == before


def test_an_operation_sent_twice_with_a_key_is_done_once(api) -> None:
    client, tokens = api
    headers = auth(tokens["operator"]) | {"Idempotency-Key": "scan-42"}
    body = {"refs": ["PCB:SN0002"], "to": "ACME"}
    first = client.post(f"{PREFIX}/operations/ship", json=body, headers=headers)
    again = client.post(f"{PREFIX}/operations/ship", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    history = client.get(f"{PREFIX}/history", params={"ref": "PCB:SN0002"}, headers=headers)
    assert [h["kind"] for h in history.json()] == ["receive", "ship"]
    other = client.post(f"{PREFIX}/operations/ship", json={**body, "refs": ["PCB:SN0003"]},
                        headers=headers)  # fmt: skip
    assert other.status_code == 422 and "another request" in other.json()["detail"]
    without = client.post(f"{PREFIX}/operations/ship", json=body, headers=auth(tokens["admin"]))
    assert without.status_code == 409  # shipped already: no key, no replay


def test_operations_record_the_user_of_the_token(api) -> None:
    client, tokens = api
    done = client.post(f"{PREFIX}/operations/move", json={"refs": ["PCB:SN0004"], "to": "A2"},
                       headers=auth(tokens["operator"]))  # fmt: skip
    assert done.status_code == 201 and done.json()["user"] == "u_operator"
    history = client.get(f"{PREFIX}/history", params={"ref": "PCB:SN0004"},
                         headers=auth(tokens["viewer"])).json()  # fmt: skip
    assert history[-1]["user"] == "u_operator"


def test_scans_stand_for_references_over_http(api) -> None:
    client, tokens = api
    headers = auth(tokens["operator"])
    gtin = "09506000134352"
    client.post(f"{PREFIX}/items/PCB/gtins", json={"gtin": gtin}, headers=auth(tokens["admin"]))
    scan = f"]d201{gtin}21SN0005"
    resolved = client.post(f"{PREFIX}/scans", json={"scan": scan}, headers=headers).json()
    assert (resolved["ok"], resolved["item"], resolved["serial"]) == (True, "PCB", "SN0005")
    moved = client.post(f"{PREFIX}/operations/move", json={"refs": [scan], "to": "A2"},
                        headers=headers)  # fmt: skip
    assert moved.status_code == 201
    where = client.get(f"{PREFIX}/where", params={"ref": scan}, headers=headers).json()
    assert where[0]["location"] == "A2"


def test_revoked_tokens_and_disabled_users_are_refused(api, cli: Cli) -> None:
    client, tokens = api
    assert client.get(f"{PREFIX}/items", headers=auth(tokens["viewer"])).status_code == 200
    assert cli("user", "disable", "u_viewer").exit_code == 0
    assert client.get(f"{PREFIX}/items", headers=auth(tokens["viewer"])).status_code == 401
    listed = cli("token", "list", "--json").json()
    planner = next(t for t in listed if t["user"] == "u_planner")
    assert planner["last_used_at"] is None and planner["prefix"] == tokens["planner"][:10]
    assert client.get(f"{PREFIX}/items", headers=auth(tokens["planner"])).status_code == 200
    assert next(t for t in cli("token", "list", "--json").json()
                if t["id"] == planner["id"])["last_used_at"]  # fmt: skip
    assert cli("token", "revoke", str(planner["id"])).exit_code == 0
    assert client.get(f"{PREFIX}/items", headers=auth(tokens["planner"])).status_code == 401
    assert client.get(f"{PREFIX}/items", headers=auth("tl_forged")).status_code == 401


def test_init_makes_the_first_admin_once_and_users_and_tokens_from_the_cli(
    fresh_url: str, tmp_path, refused
) -> None:
    from typer.testing import CliRunner

    from tracelot.cli.main import app

    run = CliRunner().invoke
    first = run(app, ["--db", fresh_url, "init"])
    assert first.exit_code == 0, first.stderr
    password = first.stdout.strip().splitlines()[-1]
    assert "admin" in first.stdout and len(password) >= 20
    again = run(app, ["--db", fresh_url, "init"])
    assert "admin" not in again.stdout  # only the first init makes one
    with tracelot.connect(fresh_url) as tl:
        assert tl.authenticate("admin", password) is not None
        assert tl.authenticate("admin", "wrong" + password) is None
    secret = tmp_path / "pw"
    secret.write_text("a long enough password\n")
    made = run(app, ["--db", fresh_url, "user", "add", "ana", "--role", "quality",
                     "--password-file", str(secret)])  # fmt: skip
    assert made.exit_code == 0, made.stderr
    token = run(app, ["--db", fresh_url, "token", "create", "--user", "ana", "--expires", "90d"])
    assert token.stdout.strip().splitlines()[-1].startswith("tl_")
    bad = run(app, ["--db", fresh_url, "user", "add", "bob", "--role", "boss"])
    assert bad.exit_code == 1 and "role must be one of" in bad.stderr
    short = tmp_path / "short"
    short.write_text("short")
    weak = run(app, ["--db", fresh_url, "user", "add", "bob", "--role", "viewer",
                     "--password-file", str(short)])  # fmt: skip
    assert weak.exit_code == 1 and "at least 12 characters" in weak.stderr


def test_a_real_serve_process_answers_on_loopback(setup_basics: Cli, db_url: str, tmp_path) -> None:
    with tracelot.connect(db_url) as tl:
        tl.add_user("clerk", role="operator")
        token = tl.create_token("clerk")["token"]
    with serving(db_url, tmp_path / "serve.log") as base:
        received = httpx.post(f"{base}{PREFIX}/operations/receive",
                              json={"item": "CELL", "to": "A1", "lot": "L5", "qty": 7},
                              headers=auth(token))  # fmt: skip
        assert received.status_code == 201, received.text
        assert received.json()["user"] == "clerk"
        assert httpx.get(f"{base}{PREFIX}/stock", headers=auth(token)).json()["total"] == 1


def test_the_documented_permission_table_is_the_one_enforced() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[1] / "docs" / "api.md").read_text()
    for method, path, capability in permissions():
        assert f"| {method} | `{path}` | `{capability}` |" in doc, (method, path)


def test_a_busy_database_fails_a_streamed_trace_before_it_begins(api, monkeypatch) -> None:
    """A streamed affected list reads its first rows before the answer begins: a database
    too busy to answer (fault injected where the statement starts) is a 409 problem, not
    a 200 cut off after its header."""
    import contextlib
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from tracelot.services import affected

    client, tokens = api

    @contextlib.contextmanager
    def busy(conn):
        raise OperationalError("SELECT", None, sqlite3.OperationalError("database is locked"))
        yield

    monkeypatch.setattr(affected, "sort_room", busy)
    for fmt in ("csv", "jsonl"):
        answer = client.get(f"{PREFIX}/trace/forward", headers=auth(tokens["quality"]),
                            params={"ref": "CELL@L1", "format": fmt})  # fmt: skip
        assert answer.status_code == 409, answer.text
        assert "conflict, retry" in answer.json()["detail"]


def test_trace_recall_and_labels_over_http(api) -> None:
    client, tokens = api
    operator, quality, admin = (auth(tokens[r]) for r in ("operator", "quality", "admin"))
    build = {"item": "DEV", "to": "A1", "serial": "D1", "consume": ["PCB:SN0001", "CELL@L1=2"]}
    built = client.post(f"{PREFIX}/operations/build", headers=operator, json=build)
    assert built.status_code == 201, built.json()
    shipped = client.post(f"{PREFIX}/operations/ship", headers=operator,
                          json={"refs": ["DEV:D1"], "to": "ACME", "reference": "SO-9"})  # fmt: skip
    assert shipped.status_code == 201
    back = client.get(f"{PREFIX}/trace/backward", params={"ref": "DEV:D1"}, headers=quality)
    inputs = {c["ref"]: c["qty"] for c in back.json()["roots"][0]["inputs"]}
    assert inputs == {"PCB:SN0001": 1, "CELL@L1": 2}
    forward = client.get(f"{PREFIX}/trace/forward", headers=quality,
                         params={"ref": "CELL@L1", "format": "csv"})  # fmt: skip
    assert forward.headers["content-type"].startswith("text/csv")
    assert "DEV,D1,,1,shipped" in forward.text and "SO-9" in forward.text
    assert "content-length" not in forward.headers  # streamed as the database reads it
    lines = client.get(f"{PREFIX}/trace/forward", headers=quality,
                       params={"ref": "CELL@L1", "format": "jsonl"})  # fmt: skip
    assert lines.headers["content-type"].startswith("application/jsonl")
    tree = client.get(f"{PREFIX}/trace/forward", headers=quality, params={"ref": "CELL@L1"})
    listed = [json.loads(line) for line in lines.text.splitlines()]
    assert sorted(map(repr, listed)) == sorted(map(repr, tree.json()["affected"]))
    assert {"item": "DEV", "serial": "D1", "customer": "ACME", "shipment_ref": "SO-9"}.items() <= (
        next(r for r in listed if r["item"] == "DEV").items())  # fmt: skip
    unknown = client.get(f"{PREFIX}/trace/forward", headers=quality,
                         params={"ref": "CELL@NOPE", "format": "jsonl"})  # fmt: skip
    assert unknown.status_code == 404 and "no lot" in unknown.json()["detail"]
    svg = client.get(f"{PREFIX}/trace/forward", headers=quality,
                     params={"ref": "CELL@L1", "format": "svg"})  # fmt: skip
    assert svg.headers["content-type"] == "image/svg+xml" and b"<svg" in svg.content
    opened = client.post(f"{PREFIX}/recalls", headers=quality,
                         json={"reason": "bad cells", "refs": ["CELL@L1"]})  # fmt: skip
    assert opened.status_code == 201, opened.json()
    recall_id = opened.json()["recall"]
    notify = client.get(f"{PREFIX}/recalls/{recall_id}/notify-list", headers=quality).text
    assert notify.splitlines()[0].startswith("customer,customer_name,item")
    assert "ACME,Acme Corp,DEV,D1" in notify
    again = client.post(f"{PREFIX}/recalls", headers=quality,
                        json={"reason": "again", "refs": ["CELL@L1"]})  # fmt: skip
    assert again.status_code in (409, 422) and "recall" in again.json()["detail"]
    pdf = client.post(f"{PREFIX}/labels", headers=operator, json={"refs": ["PCB:SN0002", "A1"]})
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    zpl = client.post(f"{PREFIX}/labels", headers=operator,
                      json={"refs": ["PCB:SN0002", "A1"], "format": "zpl", "dpi": 300})  # fmt: skip
    assert zpl.headers["content-type"] == "application/zpl" and zpl.text.count("^XA") == 2
    bad = client.post(f"{PREFIX}/labels", headers=operator,
                      json={"refs": ["A1"], "format": "zpl", "dpi": 600})  # fmt: skip
    assert bad.status_code == 422
    made = client.post(f"{PREFIX}/tokens", headers=admin, json={"user": "u_planner"}).json()
    assert client.get(f"{PREFIX}/items", headers=auth(made["token"])).status_code == 200
    assert client.delete(f"{PREFIX}/tokens/{made['id']}", headers=admin).status_code == 204
    assert client.get(f"{PREFIX}/items", headers=auth(made["token"])).status_code == 401


def test_lists_sort_and_search_and_stock_streams_as_csv(api) -> None:
    client, tokens = api
    viewer = auth(tokens["viewer"])
    codes = [i["item"] for i in client.get(f"{PREFIX}/items", headers=viewer).json()["items"]]
    down = client.get(f"{PREFIX}/items", params={"sort": "-item"}, headers=viewer).json()
    assert [i["item"] for i in down["items"]] == sorted(codes, reverse=True)
    found = client.get(f"{PREFIX}/items", params={"q": "cel"}, headers=viewer).json()
    assert [i["item"] for i in found["items"]] == ["CELL"] and found["total"] == 1
    bad = client.get(f"{PREFIX}/items", params={"sort": "colour"}, headers=viewer)
    # the schema names the fields (a pattern): what it allows, the route sorts by
    assert bad.status_code == 422 and "sort" in bad.json()["detail"]
    assert "|name|" in bad.json()["detail"]

    query = {"serials": True, "item": "PCB", "sort": "-serial", "limit": 3, "offset": 1}
    units = client.get(f"{PREFIX}/stock", params=query, headers=viewer).json()
    assert units["total"] == 305 and [u["serial"] for u in units["items"]] == [
        "SN0004", "SN0003", "SN0002"
    ]  # fmt: skip
    csv = client.get(f"{PREFIX}/stock.csv", params={"serials": True}, headers=viewer)
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0].startswith("item,item_name,location,location_path,lot,serial,qty")
    everything = client.get(f"{PREFIX}/stock", params={"serials": True, "limit": 1000},
                            headers=viewer).json()  # fmt: skip
    assert len(lines) == everything["total"] + 1
    assert any(line.startswith("PCB,") and ",SN0001,1," in line for line in lines)
    unknown = client.get(f"{PREFIX}/stock.csv", params={"item": "NOPE"}, headers=viewer)
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"


def test_serve_binds_a_tcp_socket_for_several_workers() -> None:
    """uvicorn binds the socket of several workers with protocol 0, so asyncio leaves
    Nagle's algorithm on and every response waits ~40 ms for a delayed ACK; tracelot
    serve's socket says TCP (the `api` benchmark measured the difference)."""
    import socket

    from tracelot.cli.uvicorn_config import TcpConfig

    config = TcpConfig("tracelot.server:create_app", factory=True, host="127.0.0.1", port=0,
                       workers=2)  # fmt: skip
    sock = config.bind_socket()
    try:
        assert sock.proto == socket.IPPROTO_TCP and sock.get_inheritable()
    finally:
        sock.close()


def test_a_partys_contact_details_are_changed_over_the_api(api) -> None:
    client, tokens = api
    admin = auth(tokens["admin"])
    body = {"code": "CUS2", "name": "Customer two", "kind": "customer", "email": "a@two.example"}
    made = client.post(f"{PREFIX}/parties", headers=admin, json=body)
    assert made.status_code == 201 and made.json()["email"] == "a@two.example"
    changed = client.patch(f"{PREFIX}/parties/CUS2", headers=admin,
                           json={"contact_name": "Bo", "email": ""})  # fmt: skip
    assert changed.status_code == 200
    assert (changed.json()["contact_name"], changed.json()["email"]) == ("Bo", None)
    bad = client.patch(f"{PREFIX}/parties/CUS2", headers=admin, json={"email": "no"})
    assert bad.status_code == 422 and "email" in bad.json()["detail"]
    listed = client.get(f"{PREFIX}/parties", headers=admin, params={"q": "CUS2"}).json()
    assert listed["items"][0]["contact_name"] == "Bo"
