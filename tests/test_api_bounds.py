"""Bounded requests and no 500 from any input (issue 23): text that cannot be stored, JSON
too deep, bodies too large, too many serials or references, texts too long; 405 answers
that name the methods; security headers on every answer; the login limit per account;
proxy headers trusted only from the proxies named; the workers' health-check timeout."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import Cli, serving, snapshot
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import tracelot
from tracelot.cli.main import app as cli_app
from tracelot.domain.commands import HTTP_MAX_REFS, HTTP_MAX_SERIALS, NOTE_LENGTH, REASON_LENGTH
from tracelot.domain.values import NAME_LENGTH
from tracelot.http.guard import BodyLimits
from tracelot.server import Settings, create_app

API = "/api/v1"


@pytest.fixture
def admin(setup_basics: Cli, db_url: str) -> Iterator[tuple[TestClient, dict[str, str]]]:
    assert (
        setup_basics("receive", "PCB", "--to", "A1", "--serials", "SN0001..SN0003").exit_code == 0
    )
    with tracelot.connect(db_url) as tl:
        tl.add_user("boss", role="admin")
        token = tl.create_token("boss")["token"]
    limits = BodyLimits(body=256 * 1024, capture=1024 * 1024, imports=512 * 1024)
    with TestClient(create_app(Settings(database_url=db_url, body_limits=limits))) as client:
        yield client, {"Authorization": f"Bearer {token}"}


def _data(url: str) -> dict[str, Any]:
    """Every row but the tokens' (whose last use a request records)."""
    return {table: rows for table, rows in snapshot(url).items() if table != "api_tokens"}


def _refused(answer: httpx.Response, *statuses: int) -> dict[str, Any]:
    assert answer.status_code in (statuses or (400, 422)), answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert {"type", "title", "status", "detail", "code"} <= problem.keys()
    return problem


def test_text_that_cannot_be_stored_is_refused_never_a_500(admin, db_url) -> None:
    client, auth = admin
    before = _data(db_url)
    json_headers = {**auth, "Content-Type": "application/json"}
    surrogate = '{"code": "X1", "name": "bad \\ud800 name", "tracking": "none"}'
    assert (
        "lone surrogates"
        in _refused(client.post(f"{API}/items", content=surrogate, headers=json_headers))["detail"]
    )
    note = '{"item": "SCREW", "to": "A1", "qty": 1, "note": "\\udfff"}'
    _refused(client.post(f"{API}/operations/receive", content=note, headers=json_headers))
    # the same surrogate as (invalid) UTF-8 bytes, and bytes that are no UTF-8 at all
    raw = b'{"code": "X2", "name": "\xed\xa0\x80", "tracking": "none"}'
    _refused(client.post(f"{API}/items", content=raw, headers=json_headers))
    _refused(client.post(f"{API}/items", content=b'{"code": "\xff\xfe"}', headers=json_headers))
    nul = '{"code": "X3", "name": "a\\u0000b", "tracking": "none"}'
    assert (
        "NUL" in _refused(client.post(f"{API}/items", content=nul, headers=json_headers))["detail"]
    )
    deep = "[" * 1000 + "]" * 1000
    for path in (f"{API}/epcis/capture", f"{API}/items", f"{API}/operations/move"):
        _refused(client.post(path, content=deep, headers=json_headers))
    _refused(client.get(f"{API}/items?q=%00"))  # a NUL in the query, too
    assert _data(db_url) == before


def test_a_refusal_keeps_the_connection_alive(setup_basics: Cli, db_url, tmp_path) -> None:
    with tracelot.connect(db_url) as tl:
        tl.add_user("boss", role="admin")
        token = tl.create_token("boss")["token"]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with serving(db_url, tmp_path / "serve.log") as base:
        host, port = base.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        body = '{"code": "X1", "name": "\\ud800", "tracking": "none"}'
        connection.request("POST", f"{API}/items", body=body, headers=headers)
        first = connection.getresponse()
        assert first.status == 422 and b"surrogate" in first.read()
        connection.request("GET", f"{API}/items", headers=headers)  # the same connection
        second = connection.getresponse()
        assert second.status == 200 and json.loads(second.read())["total"] == 4
        connection.close()


def test_405_names_every_method_of_the_path(admin) -> None:
    client, auth = admin
    answer = client.delete(f"{API}/items", headers=auth)
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, POST"
    assert _refused(answer, 405)["code"] == "not_allowed"
    assert client.put(f"{API}/holds", headers=auth).headers["allow"] == "GET, POST"


def test_a_body_over_its_limit_is_refused_with_413_naming_it(admin, db_url) -> None:
    client, auth = admin
    before = _data(db_url)
    big = json.dumps({"item": "SCREW", "to": "A1", "qty": 1, "note": "x" * 300_000})
    problem = _refused(client.post(f"{API}/operations/receive", content=big, headers=auth), 413)
    assert problem["code"] == "too_large" and problem["limit"] == 256 * 1024
    assert "262,144 bytes" in problem["detail"] and "TRACELOT_MAX_BODY_BYTES" in problem["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it comes
        yield b'{"item": "SCREW", "to": "A1", "qty": 1, "note": "'
        for _ in range(300):
            yield b"x" * 1000
        yield b'"}'

    answer = client.post(f"{API}/operations/receive", content=chunks(), headers=auth)
    assert _refused(answer, 413)["code"] == "too_large"
    # an EPCIS capture has a larger limit of its own: 200 kB is read (and found wanting)
    document = json.dumps({"type": "Nothing", "padding": "x" * 800_000})
    answer = client.post(
        f"{API}/epcis/capture",
        content=document,
        headers={**auth, "Content-Type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    document = json.dumps({"type": "Nothing", "padding": "x" * 1_100_000})
    answer = client.post(
        f"{API}/epcis/capture",
        content=document,
        headers={**auth, "Content-Type": "application/json"},
    )
    assert "TRACELOT_MAX_CAPTURE_BYTES" in _refused(answer, 413)["detail"]
    assert _data(db_url) == before


def test_too_many_serials_or_references_over_http_are_refused_naming_the_limit(
    admin, db_url
) -> None:
    client, auth = admin
    before = _data(db_url)
    over = f"S000001..S{HTTP_MAX_SERIALS + 1:06d}"
    answer = client.post(
        f"{API}/operations/receive", json={"item": "PCB", "to": "A1", "serials": over}, headers=auth
    )
    assert f"at most {HTTP_MAX_SERIALS:,}" in _refused(answer, 422)["detail"]
    refs = [f"PCB:S{n}" for n in range(HTTP_MAX_REFS + 1)]
    answer = client.post(f"{API}/operations/move", json={"refs": refs, "to": "A2"}, headers=auth)
    assert str(HTTP_MAX_REFS) in _refused(answer, 422)["detail"]
    answer = client.post(f"{API}/recalls", json={"reason": "r", "refs": refs}, headers=auth)
    assert str(HTTP_MAX_REFS) in _refused(answer, 422)["detail"]
    assert _data(db_url) == before


def test_a_text_too_long_is_refused_alike_by_the_api_and_the_cli(admin, cli: Cli, db_url) -> None:
    client, auth = admin
    before = _data(db_url)
    note = "n" * (NOTE_LENGTH + 1)
    answer = client.post(
        f"{API}/operations/receive",
        json={"item": "SCREW", "to": "A1", "qty": 1, "note": note},
        headers=auth,
    )
    assert f"at most {NOTE_LENGTH}" in _refused(answer, 422)["detail"]
    outcome = cli("receive", "SCREW", "--to", "A1", "--qty", "1", "--note", note)
    assert outcome.exit_code == 1 and f"longer than {NOTE_LENGTH:,}" in outcome.stderr
    reason = "r" * (REASON_LENGTH + 1)
    outcome = cli("hold", "PCB:SN0001", "--reason", reason)
    assert outcome.exit_code == 1 and f"longer than {REASON_LENGTH:,}" in outcome.stderr
    answer = client.post(f"{API}/holds", json={"ref": "PCB:SN0001", "reason": reason}, headers=auth)
    _refused(answer, 422)
    name = "N" * (NAME_LENGTH + 1)  # a name, stored in 200 characters (PostgreSQL would fail)
    outcome = cli("item", "add", "LONG", "--name", name, "--tracking", "none")
    assert outcome.exit_code == 1 and f"longer than {NAME_LENGTH}" in outcome.stderr
    item = {"code": "LONG", "name": name, "tracking": "none"}
    _refused(client.post(f"{API}/items", json=item, headers=auth), 422)
    assert _data(db_url) == before
    # and the schema says so
    schema = client.get(f"{API}/openapi.json").json()["components"]["schemas"]
    receive = schema["ReceiveRequest"]["properties"]
    assert receive["note"]["anyOf"][0]["maxLength"] == NOTE_LENGTH
    assert schema["MoveRequest"]["properties"]["refs"]["maxItems"] == HTTP_MAX_REFS
    assert schema["ItemCreate"]["properties"]["tracking"]["enum"] == ["none", "lot", "serial"]


def test_the_schema_names_the_fields_a_list_sorts_by(admin) -> None:
    client, auth = admin
    assert client.get(f"{API}/items?sort=-name", headers=auth).status_code == 200
    _refused(client.get(f"{API}/items?sort=_", headers=auth), 422)
    params = client.get(f"{API}/openapi.json").json()["paths"][f"{API}/items"]["get"]
    sort = next(p for p in params["parameters"] if p["name"] == "sort")
    assert "name" in json.dumps(sort["schema"]) and "^-?(item|name|" in json.dumps(sort["schema"])


def test_every_answer_carries_the_security_headers(admin) -> None:
    client, auth = admin
    answers = [
        client.get("/login"),
        client.get(f"{API}/items", headers=auth),
        client.get(f"{API}/items/NOPE", headers=auth),
        client.get("/assets/tracelot.css"),
        client.get("/healthz"),
        client.get("/docs"),
        client.get("/no-such-page"),
    ]
    for answer in answers:
        assert answer.headers["x-frame-options"] == "DENY", answer.url
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    page = answers[0].headers["content-security-policy"]
    assert "script-src 'self' 'wasm-unsafe-eval'" in page and "unsafe-inline" not in page
    assert "default-src 'none'" in answers[1].headers["content-security-policy"]


def test_failed_logins_are_limited_per_account_from_any_address(admin, db_url) -> None:
    with tracelot.connect(db_url) as tl:
        tl.add_user("clerk", role="operator", password="a long password 1")
        for n in range(20):  # four addresses, five failures each: each at its own limit
            with pytest.raises(tracelot.TracelotError):
                tl.login("clerk", "wrong", address=f"10.0.0.{n // 5}")
        with pytest.raises(tracelot.TracelotError, match="from any address"):
            tl.login("clerk", "a long password 1", address="10.9.9.9")


def _fail_logins(base: str, name: str, times: int, forwarded: str | None) -> list[int]:
    statuses = []
    for n in range(times):
        headers = {"X-Forwarded-For": f"{forwarded}{n}"} if forwarded else {}
        answer = httpx.post(
            f"{base}{API}/session", json={"name": name, "password": "wrong"}, headers=headers
        )
        statuses.append(answer.status_code)
    return statuses


def test_x_forwarded_for_counts_only_from_the_proxies_named(
    setup_basics: Cli, db_url, tmp_path, monkeypatch
) -> None:
    with tracelot.connect(db_url) as tl:
        tl.add_user("clerk", role="operator", password="a long password 1")
        tl.add_user("other", role="operator", password="a long password 2")
    with serving(db_url, tmp_path / "serve.log") as base:  # no proxy named
        # a client on loopback poses as a new address each time: ignored
        statuses = _fail_logins(base, "clerk", 6, forwarded="203.0.113.")
        assert statuses == [401] * 5 + [429]
    monkeypatch.setenv("TRACELOT_FORWARDED_ALLOW_IPS", "127.0.0.1")
    with serving(db_url, tmp_path / "serve2.log") as base:  # loopback is the proxy
        assert _fail_logins(base, "other", 6, forwarded="203.0.113.") == [401] * 6


def test_serve_trusts_no_proxy_and_gives_workers_time_to_start(db_url, monkeypatch) -> None:
    import uvicorn.supervisors

    seen: dict[str, Any] = {}

    class Supervisor:
        def __init__(self, config: Any, sockets: list[Any]) -> None:
            seen["config"] = config
            for sock in sockets:
                sock.close()

        def run(self) -> None:
            pass

    monkeypatch.setattr(uvicorn.supervisors, "Multiprocess", Supervisor)
    run = CliRunner().invoke(cli_app, ["--db", db_url, "serve", "--port", "0", "--workers", "2"])
    assert run.exit_code == 0, run.output
    config = seen["config"]
    assert config.timeout_worker_healthcheck >= 60  # importing takes seconds when loaded
    assert config.proxy_headers is False
    run = CliRunner().invoke(
        cli_app,
        ["--db", db_url, "serve", "--port", "0", "--workers", "2", "--worker-timeout", "90",
         "--forwarded-allow-ips", "10.0.0.1, 10.0.0.2"],
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    config = seen["config"]
    assert config.timeout_worker_healthcheck == 90
    assert config.proxy_headers is True and config.forwarded_allow_ips == ["10.0.0.1", "10.0.0.2"]


def test_body_limits_come_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("TRACELOT_MAX_BODY_BYTES", "2MiB")
    monkeypatch.setenv("TRACELOT_MAX_CAPTURE_BYTES", "1048576")
    limits = Settings().body_limits
    assert (limits.body, limits.capture, limits.imports) == (2 * 2**20, 2**20, 64 * 2**20)
    monkeypatch.setenv("TRACELOT_MAX_BODY_BYTES", "lots")
    with pytest.raises(ValueError, match="TRACELOT_MAX_BODY_BYTES"):
        Settings()
