"""Web sessions over HTTP: logging in with a password gives an HttpOnly cookie and a CSRF
token; changes on the cookie need the token; logging out, or disabling the user, ends it;
failed logins are limited per user name and address; the secret key comes from a file
that only its owner may read."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Cli, snapshot
from fastapi.testclient import TestClient

import tracelot
from tracelot.http.keys import load_secret
from tracelot.server import Settings, create_app

PREFIX = "/api/v1"
PASSWORD = "correct horse battery staple"
MOVE = {"refs": ["PCB:SN0001"], "to": "A2"}


@pytest.fixture
def app(setup_basics: Cli, db_url: str) -> Iterator[object]:
    received = setup_basics("receive", "PCB", "--to", "A1", "--serials", "SN0001..SN0003")
    assert received.exit_code == 0
    with tracelot.connect(db_url) as tl:
        tl.add_user("clerk", role="operator", password=PASSWORD)
        tl.add_user("viewer", role="viewer", password=PASSWORD)
    return create_app(Settings(database_url=db_url))


def _client(app, address: str = "10.0.0.1") -> TestClient:
    return TestClient(app, client=(address, 50000))


def test_a_session_cookie_works_and_changes_need_its_csrf_token(app, db_url: str) -> None:
    with _client(app) as client:
        login = client.post(f"{PREFIX}/session", json={"name": "clerk", "password": PASSWORD})
        assert login.status_code == 200, login.json()
        cookie = login.headers["set-cookie"]
        assert "tl_session=tl_" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
        csrf = login.json()["csrf_token"]
        assert login.json()["user"] == "clerk" and login.json()["role"] == "operator"

        assert client.get(f"{PREFIX}/stock").status_code == 200  # reading: the cookie is enough
        assert client.get(f"{PREFIX}/session").json()["csrf_token"] == csrf
        before = snapshot(db_url)["moves"]
        for headers in ({}, {"X-CSRF-Token": "0" * 64}, {"X-CSRF-Token": b"\xff\xfe"}):
            refused = client.post(f"{PREFIX}/operations/move", json=MOVE, headers=headers)
            assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
        assert snapshot(db_url)["moves"] == before
        moved = client.post(f"{PREFIX}/operations/move", json=MOVE, headers={"X-CSRF-Token": csrf})
        assert moved.status_code == 201 and moved.json()["user"] == "clerk"

        out = client.delete(f"{PREFIX}/session", headers={"X-CSRF-Token": csrf})
        assert out.status_code == 204 and 'tl_session=""' in out.headers["set-cookie"]
        stale = cookie.split(";")[0].split("=", 1)[1]
        client.cookies.set("tl_session", stale)
        assert client.get(f"{PREFIX}/stock").status_code == 401  # the session has ended


def test_sessions_of_a_disabled_user_end_and_roles_still_hold(app, cli: Cli) -> None:
    with _client(app) as client:
        login = client.post(f"{PREFIX}/session", json={"name": "viewer", "password": PASSWORD})
        csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
        assert client.post(f"{PREFIX}/operations/move", json=MOVE, headers=csrf).status_code == 403
        assert client.get(f"{PREFIX}/stock").status_code == 200
        assert cli("user", "disable", "viewer").exit_code == 0
        assert client.get(f"{PREFIX}/stock").status_code == 401


def test_an_api_token_is_no_session_cookie(app, db_url: str) -> None:
    with tracelot.connect(db_url) as tl:
        token = tl.create_token("clerk")["token"]
    with _client(app) as client:
        client.cookies.set("tl_session", token)
        assert client.get(f"{PREFIX}/stock").status_code == 401
        bearer = {"Authorization": f"Bearer {token}"}
        assert client.get(f"{PREFIX}/stock", headers=bearer).is_success
    with tracelot.connect(db_url) as tl:
        tl.login("clerk", PASSWORD)
        assert [t["name"] for t in tl.tokens()] == ["token of clerk"]  # sessions are not listed


def test_failed_logins_are_limited_per_user_and_address(app, db_url: str) -> None:
    wrong = {"name": "clerk", "password": "not the password"}
    with _client(app, "10.0.0.7") as client:
        for _ in range(5):
            refused = client.post(f"{PREFIX}/session", json=wrong)
            assert refused.status_code == 401 and refused.json()["code"] == "unauthenticated"
            assert "set-cookie" not in refused.headers
        right = {"name": "clerk", "password": PASSWORD}
        blocked = client.post(f"{PREFIX}/session", json=right)  # even the right password
        assert blocked.status_code == 429 and blocked.json()["code"] == "too_many_attempts"
        assert 1 <= int(blocked.headers["retry-after"]) <= 15 * 60
        other_user = client.post(f"{PREFIX}/session", json={"name": "viewer", "password": PASSWORD})
        assert other_user.status_code == 200
    with _client(app, "10.0.0.8") as elsewhere:
        assert elsewhere.post(f"{PREFIX}/session", json=right).status_code == 200
    unknown = {"name": "nobody", "password": "whatever it is"}
    with _client(app, "10.0.0.9") as client:
        assert client.post(f"{PREFIX}/session", json=unknown).status_code == 401
        empty = client.post(f"{PREFIX}/session", json={"name": "", "password": ""})
        assert empty.status_code == 422


def test_the_secret_key_file_is_made_once_for_its_owner_only(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("TRACELOT_SECRET_KEY", raising=False)
    path = tmp_path / "conf" / "secret_key"
    first = load_secret(path=path)
    assert len(first) >= 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret(path=path) == first  # kept, not made again
    path.chmod(0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        load_secret(path=path)
    assert load_secret("k" * 40, path=path) == b"k" * 40  # the settings win
    with pytest.raises(ValueError, match="at least 32"):
        load_secret("short")
