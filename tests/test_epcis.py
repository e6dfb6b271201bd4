"""EPCIS 2.0 through the command line and the API: every export validates against GS1's
official schema (tests/data/epcis, with format checking), event IDs are the CBV event
hash, a document imported into an empty database gives the same stock, genealogy and
traces, a supplier's shipment becomes an ASN received by scanning its SSCC and its
transformation carries a forward trace across the partner boundary, GS1's own examples
import or are refused with reasons, and malformed documents are refused whole."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import dateutil.parser
import pytest
from jsonschema import Draft7Validator

import tracelot

DATA = Path(__file__).parent / "data" / "epcis"
GTIN_PCB = "09506000134352"  # PCB gets a GTIN: its units are written as Digital Links


@pytest.fixture
def other(fresh_url: str):
    """A second database, empty: what a document is imported into."""
    with tracelot.connect(fresh_url, user="copy") as handle:
        handle.init()
        yield handle


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads((DATA / "EPCIS-JSON-Schema.json").read_text())
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def _errors(validator: Draft7Validator, document: dict) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


@pytest.fixture
def history(setup_basics):
    """Every kind of operation tracelot exports: receipts (serials with a GTIN, a lot
    with expiry, a plain quantity), a move, builds (a unit, and a lot with expiry), a
    shipment, a return, a repair, a scrap, a count correction, a hold and a release."""
    cli = setup_basics
    for args in [
        ("item", "gtin", "add", "PCB", GTIN_PCB),
        ("item", "add", "MIX", "--name", "Potting mix", "--tracking", "lot", "--uom", "KG"),
        ("receive", "PCB", "--to", "A1", "--serials", "SN001..SN004", "--supplier", "CELLCO",
         "--cost", "12", "--ref", "DN 77"),
        ("receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "50", "--expires",
         "2030-01-31", "--supplier", "CELLCO", "--supplier-lot", "CC-9", "--cost", "2.5"),
        ("receive", "SCREW", "--to", "A2", "--qty", "100", "--cost", "0.02"),
        ("move", "PCB:SN001", "PCB:SN002", "PCB:SN003", "--to", "LINE"),
        ("build", "DEV", "--to", "LINE", "--serial", "D1", "--consume", "PCB:SN001",
         "--consume", "CELL@L1=4", "--consume", "SCREW=6"),
        ("build", "MIX", "--to", "LINE", "--lot", "M1", "--qty", "2.5", "--expires",
         "2029-06-30", "--consume", "CELL@L1=10"),
        ("replace", "DEV:D1", "--remove", "PCB:SN001", "--install", "PCB:SN002", "--to", "A2"),
        ("ship", "DEV:D1", "--to", "ACME", "--ref", "SO-1"),
        ("return", "DEV:D1", "--from", "ACME", "--to", "QUAR"),
        ("scrap", "PCB:SN003", "--reason", "cracked"),
        ("adjust", "SCREW", "--at", "A2", "--counted", "90"),
        ("hold", "CELL@L1", "--reason", "supplier complaint"),
        ("release", "CELL@L1"),
    ]:  # fmt: skip
        outcome = cli(*args)
        assert outcome.exit_code == 0, (args, outcome.stderr)
    return cli


def _export(cli, tmp_path: Path, *args: str) -> dict:
    path = tmp_path / "out.jsonld"
    outcome = cli("epcis", "export", "--out", str(path), *args)
    assert outcome.exit_code == 0, outcome.stderr
    return json.loads(path.read_text())


def test_the_export_validates_and_says_what_happened(history, tmp_path, validator) -> None:
    doc = _export(history, tmp_path)
    assert _errors(validator, doc) == []
    events = doc["epcisBody"]["eventList"]
    kinds = [(e["type"], e.get("action"), e["bizStep"], e["disposition"]) for e in events]
    assert kinds == [
        ("ObjectEvent", "OBSERVE", "receiving", "in_progress"),
        ("ObjectEvent", "OBSERVE", "receiving", "in_progress"),
        ("ObjectEvent", "OBSERVE", "receiving", "in_progress"),
        ("ObjectEvent", "OBSERVE", "storing", "sellable_accessible"),
        ("TransformationEvent", None, "commissioning", "active"),
        ("TransformationEvent", None, "commissioning", "active"),
        ("TransformationEvent", None, "repairing", "active"),
        ("ObjectEvent", "OBSERVE", "shipping", "in_transit"),
        ("ObjectEvent", "OBSERVE", "receiving", "returned"),
        ("ObjectEvent", "DELETE", "destroying", "destroyed"),
        ("ObjectEvent", "DELETE", "cycle_counting", "unknown"),
        ("ObjectEvent", "OBSERVE", "holding", "non_sellable_other"),
        ("ObjectEvent", "OBSERVE", "inspecting", "sellable_accessible"),
    ]
    receipt, lot_receipt = events[0], events[1]
    pcb = [f"https://id.gs1.org/01/{GTIN_PCB}/21/SN00{i}" for i in range(1, 5)]
    assert receipt["epcList"] == pcb
    assert receipt["sourceList"] == [
        {"type": "owning_party", "source": "urn:tracelot:party:CELLCO"}
    ]
    assert receipt["bizLocation"] == {"id": "urn:tracelot:location:A1"}
    assert receipt["bizTransactionList"] == [
        {"type": "tracelot:reference", "bizTransaction": "urn:tracelot:reference:DN%2077"}
    ]
    assert lot_receipt["quantityList"] == [
        {"epcClass": "urn:tracelot:item:CELL:lot:L1", "quantity": 50, "uom": "H87"}
    ]
    device = events[4]
    assert device["inputEPCList"] == [pcb[0]]
    assert {q["epcClass"]: q["quantity"] for q in device["inputQuantityList"]} == {
        "urn:tracelot:item:CELL:lot:L1": 4, "urn:tracelot:item:SCREW": 6,
    }  # fmt: skip
    assert device["outputEPCList"] == ["urn:tracelot:item:DEV:serial:D1"]
    mix = events[5]
    assert mix["outputQuantityList"] == [
        {"epcClass": "urn:tracelot:item:MIX:lot:M1", "quantity": 2.5, "uom": "KGM"}
    ]
    assert mix["ilmd"] == {"cbvmda:lotNumber": "M1", "cbvmda:itemExpirationDate": "2029-06-30"}
    repair = events[6]
    assert repair["inputEPCList"] == ["urn:tracelot:item:DEV:serial:D1", pcb[1]]
    assert repair["outputEPCList"] == ["urn:tracelot:item:DEV:serial:D1", pcb[0]]
    assert events[7]["destinationList"] == [
        {"type": "owning_party", "destination": "urn:tracelot:party:ACME"}
    ]
    assert events[11]["tracelot:note"] == "supplier complaint"
    vocabularies = {v["type"]: v["vocabularyElementList"]
                    for v in doc["epcisHeader"]["epcisMasterData"]["vocabularyList"]}  # fmt: skip
    lot = next(e for e in vocabularies["urn:epcglobal:epcis:vtype:EPCClass"]
               if e["id"] == "urn:tracelot:item:CELL:lot:L1")  # fmt: skip
    attributes = {a["id"]: a["attribute"] for a in lot["attributes"]}
    assert attributes["cbvmda:itemExpirationDate"] == "2030-01-31"
    assert attributes["tracelot:supplierLot"] == "CC-9"
    places = {e["id"] for e in vocabularies["urn:epcglobal:epcis:vtype:BusinessLocation"]}
    assert places == {f"urn:tracelot:location:{c}" for c in ("WH", "A1", "A2", "LINE", "QUAR")}


def _carried(fix):  # noqa: ANN001, ANN202
    """The judge's own timestamp normalisation, but for a time of .9995 s or more, which it
    rounds to 1,000,000 microseconds and crashes on: rounded up to the next second first
    (the carry tracelot's hash applies too; the rest is the judge's)."""

    def normalised(timestamp):  # noqa: ANN001, ANN202
        try:
            moment = dateutil.parser.parse(timestamp)
        except ValueError:
            return fix(timestamp)
        if moment.microsecond >= 999_500:
            moment = moment.replace(microsecond=0) + dt.timedelta(seconds=1)
            return fix(moment.isoformat())
        return fix(timestamp)

    return normalised


def test_event_ids_are_the_cbv_event_hash(history, tmp_path, monkeypatch) -> None:
    from epcis_event_hash_generator import hash_generator
    from epcis_event_hash_generator.__main__ import epcis_hash_from_file

    fix = hash_generator._fix_time_stamp_format
    monkeypatch.setattr(hash_generator, "_fix_time_stamp_format", _carried(fix))

    doc = _export(history, tmp_path)
    hashes, _ = epcis_hash_from_file(str(tmp_path / "out.jsonld"))
    ids = [e["eventID"] for e in doc["epcisBody"]["eventList"]]
    assert ids == hashes and len(set(ids)) == len(ids)
    assert all(i.startswith("ni:///sha-256;") and i.endswith("?ver=CBV2.0") for i in ids)
    again = _export(history, tmp_path)
    assert [e["eventID"] for e in again["epcisBody"]["eventList"]] == ids  # stable


def test_export_of_a_period_or_of_one_lot(history, tmp_path, validator) -> None:
    lot = _export(history, tmp_path, "--ref", "CELL@L1")
    assert _errors(validator, lot) == []
    steps = [e["bizStep"] for e in lot["epcisBody"]["eventList"]]
    # its receipt, the two builds that consumed it, its hold and release
    assert steps == ["receiving", "commissioning", "commissioning", "holding", "inspecting"]
    none = _export(history, tmp_path, "--to", "2001-01-01")
    assert none["epcisBody"]["eventList"] == [] and _errors(validator, none) == []


def test_a_document_imported_into_an_empty_database_gives_the_same_world(
    history, tmp_path, other, tl
) -> None:
    _export(history, tmp_path)
    data = (tmp_path / "out.jsonld").read_bytes()
    summary = other.epcis_import(data)
    assert summary["written"] and summary["problems"] == []
    assert summary["skipped"] == 0 and summary["events"] == 13
    assert other.stock(serials=True) == tl.stock(serials=True) != []
    for direction, ref in (("forward", "CELL@L1"), ("backward", "DEV:D1"),
                           ("forward", "PCB:SN001"), ("backward", "MIX@M1")):  # fmt: skip
        mine, theirs = getattr(tl, f"trace_{direction}"), getattr(other, f"trace_{direction}")
        assert theirs(ref).to_dict() == mine(ref).to_dict()
    assert other.trace_backward("DEV:D1").to_dict()["roots"][0]["inputs"]
    assert other.valuation(by="lot") == tl.valuation(by="lot")
    assert other.holds() == tl.holds()
    assert other.item("PCB")["gtins"] == [GTIN_PCB]
    assert [p["location_path"] for p in other.locations()] == [
        p["location_path"] for p in tl.locations()
    ]
    assert other.verify().ok
    again = other.epcis_import(data)  # importing twice is harmless
    assert again["skipped"] == 13 and again["written"]
    assert {e["effect"] for e in again["effects"]} == {"skipped: imported before"}
    assert other.stock(serials=True) == tl.stock(serials=True)


PARTNER = "urn:epc:id:sgln:0614141.07346.0"
# the same board as an EPC URN: company prefix 9506000, indicator 0, item reference 13435
SGTIN_SN900 = f"urn:epc:id:sgtin:{GTIN_PCB[1:8]}.{GTIN_PCB[0]}{GTIN_PCB[8:13]}.SN900"


def _partner_document() -> dict:
    """A supplier's events: it made boards SN900, SN901 from its resin lot R-77, packed
    them on a pallet and shipped the pallet to us."""
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-11-20T08:00:00Z",
        "epcisHeader": {"epcisMasterData": {"vocabularyList": [{
            "type": "urn:epcglobal:epcis:vtype:EPCClass",
            "vocabularyElementList": [{"id": "https://id.gs1.org/01/04012345111118", "attributes": [
                {"id": "tracelot:code", "attribute": "RESIN"},
                {"id": "tracelot:name", "attribute": "Epoxy resin"},
                {"id": "tracelot:tracking", "attribute": "lot"},
                {"id": "tracelot:uom", "attribute": "KG"}]}],
        }]}},
        "epcisBody": {"eventList": [
            {"type": "TransformationEvent", "eventTime": "2026-11-18T09:00:00+01:00",
             "eventTimeZoneOffset": "+01:00",
             "inputQuantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.011111.R-77",
                                    "quantity": 3, "uom": "KGM"}],
             "outputEPCList": [SGTIN_SN900, f"https://id.gs1.org/01/{GTIN_PCB}/21/SN901"],
             "bizStep": "commissioning", "disposition": "active",
             "readPoint": {"id": PARTNER}, "ilmd": {"cbvmda:itemExpirationDate": "2031-12-31"}},
            {"type": "AggregationEvent", "eventTime": "2026-11-19T10:00:00Z",
             "eventTimeZoneOffset": "+00:00", "action": "ADD", "bizStep": "packing",
             "parentID": "urn:epc:id:sscc:0614141.1234567890",
             "childEPCs": [f"https://id.gs1.org/01/{GTIN_PCB}/21/SN900",
                           f"https://id.gs1.org/01/{GTIN_PCB}/21/SN901"],
             "readPoint": {"id": PARTNER}},
            {"type": "ObjectEvent", "eventTime": "2026-11-20T07:00:00Z",
             "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "shipping",
             "disposition": "in_transit", "epcList": ["urn:epc:id:sscc:0614141.1234567890"],
             "readPoint": {"id": PARTNER},
             "sourceList": [{"type": "owning_party", "source": "urn:tracelot:party:CELLCO"}]},
        ]},
    }  # fmt: skip


def test_a_suppliers_shipment_is_received_by_its_sscc_and_traced_from_its_lot(
    setup_basics, tmp_path, validator, refused
) -> None:
    cli = setup_basics
    assert cli("item", "gtin", "add", "PCB", GTIN_PCB).exit_code == 0
    document = _partner_document()
    assert _errors(validator, document) == []
    path = tmp_path / "asn.jsonld"
    path.write_text(json.dumps(document))
    dry = cli("epcis", "import", str(path), "--dry-run", "--json").json()
    assert dry["written"] is False and cli("asn", "list", "--json").json() == []
    summary = cli("epcis", "import", str(path), "--json").json()
    assert [e["effect"] for e in summary["effects"]] == [
        "a partner's transformation: genealogy of what it made",
        "noted: the contents of SSCC 106141412345678908",
        "advance shipping notice",
    ]
    [asn] = cli("asn", "list", "--json").json()
    assert (asn["status"], asn["supplier"], asn["sscc"], asn["lines"]) == (
        "open", "CELLCO", "106141412345678908", 2)  # fmt: skip
    lines = cli("asn", "show", str(asn["asn"]), "--json").json()["lines"]
    assert [(ln["serial"], ln["expires"]) for ln in lines] == [
        ("SN900", "2031-12-31"), ("SN901", "2031-12-31")]  # fmt: skip
    again = cli("epcis", "import", str(path), "--json").json()
    assert again["skipped"] == 3 and len(cli("asn", "list", "--json").json()) == 1

    # the pallet's label is scanned at the dock
    received = cli("receive", "--asn", "(00)106141412345678908", "--to", "A1", "--json")
    assert received.exit_code == 0, received.stderr
    [receipt] = received.json()
    assert receipt["party"] == "CELLCO" and receipt["reference"] == f"ASN {asn['asn']}"
    [where] = cli("where", "PCB:SN900", "--json").json()
    assert where["location_path"] == "WH/A1" and where["expires"] == "2031-12-31"
    refused("receive", "--asn", str(asn["asn"]), "--to", "A1", match="received already")

    assert (
        cli("build", "DEV", "--to", "A1", "--serial", "D9", "--consume", "PCB:SN900").exit_code == 0
    )
    assert cli("ship", "DEV:D9", "--to", "ACME").exit_code == 0
    trace = cli("trace", "forward", "RESIN@R-77", "--json").json()
    reached = {(a["item"], a.get("serial"), a["status"], a.get("customer"))
               for a in trace["affected"]}  # fmt: skip
    assert ("DEV", "D9", "shipped", "ACME") in reached
    assert ("PCB", "SN901", "in_stock", None) in reached
    backward = cli("trace", "backward", "DEV:D9", "--json").json()
    assert "R-77" in json.dumps(backward)
    assert cli("verify").exit_code == 0


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.jsonld")))
def test_gs1s_examples_import_or_are_refused_with_reasons(name, cli, refused, validator) -> None:
    path = DATA / name
    assert _errors(validator, json.loads(path.read_text())) == []
    # on an empty database: refused, every unknown GTIN named
    out = refused("epcis", "import", str(path), match="nothing written")
    assert "is neither in the database nor in the document's master data" in out.stdout
    items = {
        "10614141073464": "serial", "70614141123451": "serial", "04012345987652": "serial",
        "04012345123456": "lot", "04012345111224": "serial", "04000001654321": "serial",
        "04012345111118": "lot", "00614141777778": "lot", "04012345666663": "none",
        "04012345778892": "serial",
    }  # fmt: skip
    for n, (gtin, tracking) in enumerate(items.items()):
        uom = "KG" if gtin in ("04012345123456", "04012345111118") else "EA"
        added = cli("item", "add", f"X{n}", "--name", gtin, "--tracking", tracking,
                    "--gtin", gtin, "--uom", uom)  # fmt: skip
        assert added.exit_code == 0, added.stderr
    summary = cli("epcis", "import", str(path), "--json").json()
    assert summary["written"] and summary["problems"] == [], summary
    assert summary["events"] == len(json.loads(path.read_text())["epcisBody"]["eventList"])
    assert cli("verify").exit_code == 0


def _document(*events: dict) -> dict:
    return {
        "@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-11-20T08:00:00Z",
        "epcisBody": {"eventList": list(events)},
    }


def _one_event(**event) -> dict:
    base = {"type": "ObjectEvent", "eventTime": "2026-11-20T07:00:00Z",
            "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "receiving",
            "bizLocation": {"id": "urn:tracelot:location:A1"},
            "epcList": ["urn:tracelot:item:PCB:serial:N1"]}  # fmt: skip
    base.update(event)
    return {key: value for key, value in base.items() if value is not None}


@pytest.mark.parametrize(
    ("event", "field", "reason"),
    [
        (_one_event(eventTime=None), "eventTime", "has no eventTime"),
        (_one_event(eventTime="yesterday"), "eventTime", "is not a date and time"),
        (_one_event(action="ARRIVE"), "action", "unknown action 'ARRIVE'"),
        (_one_event(epcList=None, quantityList=[
            {"epcClass": "urn:tracelot:item:SCREW", "quantity": 2.5}]),
         "quantityList", "a quantity without a unit (uom) is a count of items and must be whole"),
        (_one_event(epcList=None, quantityList=[
            {"epcClass": "urn:tracelot:item:SCREW", "quantity": 2, "uom": "KGM"}]),
         "quantityList", "quantity in KGM, but item SCREW is counted in H87"),
        (_one_event(epcList=["https://id.gs1.org/01/04012345111118/21/7"]), "item",
         "GTIN 04012345111118 is neither in the database nor in the document's master data"),
        (_one_event(epcList=["urn:epc:id:sgtin:bad"]), "epcList", "not an EPC URI tracelot reads"),
        (_one_event(type="SensorEvent"), "type", "unknown event type 'SensorEvent'"),
    ],
)  # fmt: skip
def test_a_malformed_document_is_refused_whole(
    setup_basics, tmp_path, refused, event, field, reason
) -> None:
    good = _one_event(epcList=["urn:tracelot:item:PCB:serial:N2"])
    document = _document(good, event)
    path = tmp_path / "bad.jsonld"
    path.write_text(json.dumps(document))
    out = refused("epcis", "import", str(path), match="nothing written")
    assert reason in out.stdout.replace("\n", " ") or reason in " ".join(out.stdout.split())
    problems = setup_basics("epcis", "import", str(path), "--json").json()["problems"]
    assert [(p["event"], p["field"]) for p in problems] == [(2, field)]
    assert reason in problems[0]["reason"]


def test_an_event_tracelot_refuses_refuses_the_document(setup_basics, tmp_path, refused) -> None:
    ship = _one_event(bizStep="shipping", disposition="in_transit",
                      destinationList=[{"type": "owning_party",
                                        "destination": "urn:tracelot:party:ACME"}])  # fmt: skip
    document = _document(_one_event(), ship, ship)
    path = tmp_path / "twice.jsonld"
    path.write_text(json.dumps(document))
    # the same event twice has the same hash: the second is skipped, so this works
    summary = setup_basics("epcis", "import", str(path), "--json").json()
    assert [e["effect"] for e in summary["effects"]] == [
        "receipt", "shipment to ACME", "skipped: twice in the document"]  # fmt: skip
    document["epcisBody"]["eventList"] = [
        _one_event(epcList=["urn:tracelot:item:PCB:serial:N5"], eventTime="2026-11-21T00:00:00Z"),
        {**ship, "eventTime": "2026-11-21T01:00:00Z"},  # N1 was shipped already
    ]  # fmt: skip
    path.write_text(json.dumps(document))
    refused("epcis", "import", str(path), match="event 2, ObjectEvent shipping")
    assert setup_basics("where", "PCB:N5").exit_code == 1  # the receipt went back too
    refused("epcis", "import", str(tmp_path / "twice.jsonld") + "x", match="")  # no file


def _results(response) -> list[dict]:
    return response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]


def test_epcis_over_http(history, tl, db_url: str, validator) -> None:
    from fastapi.testclient import TestClient

    from tracelot.server import Settings, create_app

    tl.add_user("boss", role="admin")
    tl.add_user("reader", role="viewer")
    boss = {"Authorization": f"Bearer {tl.create_token('boss')['token']}"}
    reader = {"Authorization": f"Bearer {tl.create_token('reader')['token']}"}
    with TestClient(create_app(Settings(database_url=db_url))) as client:
        everything = client.get("/api/v1/epcis/events", headers=reader)
        assert everything.status_code == 200
        assert everything.headers["content-type"].startswith("application/ld+json")
        assert _errors(validator, everything.json()) == []
        results = everything.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        assert len(results) == 13
        builds = client.get("/api/v1/epcis/events", headers=reader, params={
            "eventType": "TransformationEvent", "EQ_bizStep": "commissioning"})  # fmt: skip
        body = builds.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        assert [e["outputEPCList"][0] for e in body if "outputEPCList" in e] == [
            "urn:tracelot:item:DEV:serial:D1"]  # fmt: skip
        touched = client.get("/api/v1/epcis/events", headers=reader, params={
            "MATCH_anyEPC": f"https://id.gs1.org/01/{GTIN_PCB}/21/SN003"})  # fmt: skip
        steps = [e["bizStep"] for e in _results(touched)]
        assert steps == ["receiving", "storing", "destroying"]
        late = client.get("/api/v1/epcis/events", headers=reader,
                          params={"GE_eventTime": "2100-01-01T00:00:00Z"})  # fmt: skip
        assert late.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"] == []
        bad = client.get("/api/v1/epcis/events", headers=reader, params={"GE_eventTime": "soon"})
        assert bad.status_code == 422

        document = _partner_document()
        assert client.post("/api/v1/epcis/capture", json=document,
                           headers=reader).status_code == 403  # fmt: skip
        broken = {**document, "epcisBody": {"eventList": [{"type": "X"}]}}
        wrong = client.post("/api/v1/epcis/capture", headers=boss, json=broken)
        assert wrong.status_code == 422
        assert wrong.headers["content-type"] == "application/problem+json"
        assert wrong.json()["problems"][0]["field"] == "type"
        captured = client.post("/api/v1/epcis/capture", json=document, headers=boss)
        assert captured.status_code == 201, captured.text
        assert captured.json()["written"] and captured.json()["events"] == 3
        [asn] = client.get("/api/v1/asns", headers=reader).json()
        assert client.get(f"/api/v1/asns/{asn['asn']}", headers=reader).json()["lines"][0][
            "serial"] == "SN900"  # fmt: skip
        received = client.post("/api/v1/asns/106141412345678908/receive", headers=boss,
                               json={"to": "A2"})  # fmt: skip
        assert received.status_code == 201, received.text
        assert [r["kind"] for r in received.json()] == ["receive"]
        again = client.post(f"/api/v1/asns/{asn['asn']}/receive", headers=boss, json={"to": "A2"})
        assert again.status_code == 409 and "received already" in again.json()["detail"]
        assert client.get("/api/v1/asns", headers=reader).json()[0]["status"] == "received"


def test_operations_alike_and_odd_costs_survive_the_round_trip(setup_basics, tl, other) -> None:
    import datetime as dt

    moment = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)
    tl.set_item("CELL", uom="kg")  # a fraction of an item in EA is refused (issue 20)
    with tl.atomic() as batch:  # two receipts alike, in the same millisecond
        for _ in range(2):
            batch.receive("SCREW", to="A1", qty="5", at=moment)
        batch.receive("CELL", to="A1", lot="L7", qty="2.345", cost="1.2345", at=moment)
        # a time within half a millisecond of the next second (the hash rounds it up)
        batch.receive("SCREW", to="A2", qty="1", at=moment.replace(microsecond=999_700))
    document = tl.epcis_export()
    ids = [e["eventID"] for e in document["epcisBody"]["eventList"]]
    assert len(set(ids)) == 4
    summary = other.epcis_import(document)
    assert summary["written"], summary["problems"]
    assert other.stock() == tl.stock() != []
    assert other.valuation(by="lot") == tl.valuation(by="lot")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"bizLocation": "urn:tracelot:location:A1"}, "bizLocation"),
        ({"bizLocation": {"id": 7}}, "bizLocation"),
        ({"bizLocation": {"id": "urn:tracelot:location:NOWHERE"}}, "bizLocation"),
        ({"epcList": "urn:tracelot:item:PCB:serial:N1"}, "epcList"),
        ({"epcList": [["nested"]]}, "epcList"),
        ({"sourceList": ["urn:tracelot:party:CELLCO"]}, "sourceList"),
        ({"bizTransactionList": "PO-1"}, "bizTransactionList"),
        ({"epcList": None, "quantityList": [{"epcClass": "urn:tracelot:item:SCREW",
                                             "quantity": "many"}]}, "quantityList"),
        ({"epcList": None, "quantityList": ["urn:tracelot:item:SCREW"]}, "quantityList"),
        ({"epcList": None, "quantityList": [{"epcClass": "urn:tracelot:item:SCREW",
                                             "quantity": 1e30}]}, "quantityList"),
        ({"epcList": ["urn:tracelot:item:PCB:serial:A%2FB"]}, "epcList"),
        ({"eventTime": "0001-01-01T00:00:00+01:00"}, "eventTime"),
        ({"ilmd": ["expiry"]}, "ilmd"),
        ({"action": "ADD", "ilmd": {"cbvmda:itemExpirationDate": "soon"}}, "ilmd"),
        ({"eventID": "x" * 400}, "eventID"),
        ({"tracelot:unitCost": {"urn:tracelot:item:PCB:serial:N1": "free"}},
         "tracelot:unitCost"),
        ({"epcList": ["urn:tracelot:item:PCB:serial:N1"] * 2}, "epcList"),
        ({"type": "TransformationEvent", "action": None, "epcList": None,
          "outputEPCList": ["urn:tracelot:item:DEV:serial:D7"]}, "inputEPCList"),
        ({"type": "TransformationEvent", "action": None, "epcList": None,
          "inputEPCList": ["urn:tracelot:item:PCB:serial:N1"],
          "outputEPCList": ["urn:epc:id:sscc:0614141.1234567890"]}, "outputEPCList"),
        ({"bizStep": "shipping", "bizLocation": None,
          "sourceList": [{"type": "location", "source": "urn:tracelot:location:A1"}]},
         "bizLocation"),
    ],
)  # fmt: skip
def test_odd_shapes_are_problems_not_crashes(setup_basics, tmp_path, refused, change, field):
    event = {k: v for k, v in {**_one_event(), **change}.items() if v is not None}
    document = _document(event)
    path = tmp_path / "odd.jsonld"
    path.write_text(json.dumps(document))
    out = refused("epcis", "import", str(path), match="nothing written")
    assert "Traceback" not in out.stdout
    problems = setup_basics("epcis", "import", str(path), "--json").json()["problems"]
    assert [p["field"] for p in problems] == [field], problems


def test_a_partners_own_vocabulary_makes_nothing_of_tracelots(setup_basics, tmp_path) -> None:
    cli = setup_basics
    foreign = "https://partner.example/voc#"
    document = {
        "@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-20T08:00:00Z",
        "epcisHeader": {"epcisMasterData": {"vocabularyList": [{
            "type": "urn:epcglobal:epcis:vtype:BusinessLocation",
            "vocabularyElementList": [{"id": "urn:epc:id:sgln:0614141.07346.0", "attributes": [
                {"id": f"{foreign}code", "attribute": "DC-EAST"},
                {"id": f"{foreign}kind", "attribute": "warehouse"}]}]}]}},
        "epcisBody": {"eventList": [_one_event(
            bizLocation={"id": "urn:epc:id:sgln:0614141.07346.0"})]},
    }  # fmt: skip
    path = tmp_path / "theirs.jsonld"
    path.write_text(json.dumps(document))
    summary = cli("epcis", "import", str(path), "--json").json()
    assert summary["effects"][0]["effect"].startswith("noted: a partner's receiving")
    assert cli("stock", "--json").json() == []
    assert "DC-EAST" not in cli("location", "list").stdout


def test_a_partners_transformation_is_not_tracelots_stock_nor_its_issues(
    setup_basics, tmp_path
) -> None:
    cli = setup_basics
    assert cli("item", "gtin", "add", "PCB", GTIN_PCB).exit_code == 0
    document = _partner_document()
    document["epcisBody"]["eventList"] = document["epcisBody"]["eventList"][:1]
    path = tmp_path / "made.jsonld"
    path.write_text(json.dumps(document))
    assert cli("epcis", "import", str(path)).exit_code == 0
    assert cli("valuation", "--json").json()["total"]["qty"] == 0
    turnover = cli("report", "turnover", "--from", "2026-11-01", "--to", "2026-11-30",
                   "--json").json()  # fmt: skip
    assert all(r["issued_qty"] == 0 for r in turnover["rows"])
    # a board the supplier announced comes in at this receipt's cost
    assert cli("receive", "PCB", "--to", "A1", "--serials", "SN900", "--cost", "15").exit_code == 0
    assert cli("valuation", "--json").json()["total"]["value"] == 15
    assert cli("verify").exit_code == 0


def test_a_container_tracelot_does_not_know_is_noted(setup_basics, tmp_path) -> None:
    crate = {"type": "AggregationEvent", "eventTime": "2026-11-20T07:00:00Z",
             "eventTimeZoneOffset": "+00:00", "action": "ADD", "bizStep": "packing",
             "parentID": "urn:epc:id:grai:0614141.12345.400",
             "childEPCs": ["urn:tracelot:item:PCB:serial:N1"],
             "readPoint": {"id": PARTNER}}  # fmt: skip
    path = tmp_path / "crate.jsonld"
    path.write_text(json.dumps(_document(crate)))
    summary = setup_basics("epcis", "import", str(path), "--json").json()
    assert summary["problems"] == [] and summary["effects"][0]["effect"].startswith("noted")
