"""Jobs over HTTP: a receipt of many serials in parts, an import and a verify done in the
background, polled by the client; other clients' operations answered meanwhile."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from conftest import Cli
from fastapi.testclient import TestClient

import tracelot
from tracelot.domain.errors import NotFound
from tracelot.server import Settings, create_app

PREFIX = "/api/v1"


@pytest.fixture
def api(setup_basics: Cli, db_url: str) -> Iterator[tuple[TestClient, dict[str, dict]]]:
    assert setup_basics("receive", "SCREW", "--to", "A1", "--qty", "1000").exit_code == 0
    with tracelot.connect(db_url) as tl:
        heads = {}
        for role in ("operator", "admin", "quality", "viewer"):
            tl.add_user(f"u_{role}", role=role)
            heads[role] = {"Authorization": f"Bearer {tl.create_token(f'u_{role}')['token']}"}
    with TestClient(create_app(Settings(database_url=db_url))) as client:
        yield client, heads


def _wait(client: TestClient, url: str, head: dict, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(url, headers=head).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {url} not finished in {timeout} s")


def test_a_big_receipt_runs_in_parts_while_others_are_answered(api, db_url) -> None:
    client, heads = api
    serials = [f"J{n:06d}" for n in range(120_001)]
    started = client.post(f"{PREFIX}/jobs/receive", headers=heads["operator"],
                          json={"item": "PCB", "to": "A1", "serials": serials})  # fmt: skip
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["status"] in ("queued", "running") and job["total"] == 120_001
    assert started.headers["location"] == job["url"] == f"{PREFIX}/jobs/{job['job']}"
    moved, errors = [], []

    def mover() -> None:  # another client moves stock while the job runs
        for n in range(10):
            there, back = ("A1", "A2") if n % 2 == 0 else ("A2", "A1")
            body = {"refs": ["SCREW"], "qty": 1, "to": back, "from": there}
            answer = client.post(f"{PREFIX}/operations/move", headers=heads["operator"], json=body)
            (moved if answer.status_code == 201 else errors).append(answer.text)

    thread = threading.Thread(target=mover)
    thread.start()
    done = _wait(client, job["url"], heads["operator"])
    thread.join(60)
    assert done["status"] == "done", done
    assert (done["done"], done["total"]) == (120_001, 120_001)
    assert done["result"]["received"] == 120_001 and len(done["result"]["operations"]) == 3
    assert len(moved) == 10 and not errors
    with tracelot.connect(db_url) as tl:
        assert len(tl.stock(item="PCB", serials=True)) == 120_001
        assert tl.verify().ok
    # anyone may follow it (as anyone may read the ledger); it names who asked
    assert client.get(job["url"], headers=heads["viewer"]).json()["user"] == "u_operator"


def test_a_receipt_job_refused_records_why_and_receives_nothing(api, db_url) -> None:
    client, heads = api
    serials = [f"K{n:06d}" for n in range(60_000)] + ["K000001"]
    bad = client.post(f"{PREFIX}/jobs/receive", headers=heads["operator"],
                      json={"item": "PCB", "to": "A1", "serials": serials})  # fmt: skip
    assert bad.status_code == 422 and "repeated" in bad.json()["detail"]  # no job made
    first = client.post(f"{PREFIX}/jobs/receive", headers=heads["operator"],
                        json={"item": "PCB", "to": "A1", "serials": ["K000007"]})  # fmt: skip
    assert _wait(client, first.json()["url"], heads["operator"])["status"] == "done"
    again = client.post(f"{PREFIX}/jobs/receive", headers=heads["operator"],
                        json={"item": "PCB", "to": "A1", "serials": serials[:-1]})  # fmt: skip
    failed = _wait(client, again.json()["url"], heads["operator"])
    assert failed["status"] == "failed" and "already has serial K000007" in failed["error"]
    with tracelot.connect(db_url) as tl:
        assert len(tl.stock(item="PCB", serials=True)) == 1  # the first part was not written
    assert (
        client.post(
            f"{PREFIX}/jobs/receive",
            headers=heads["viewer"],
            json={"item": "PCB", "to": "A1", "serials": ["X1"]},
        ).status_code
        == 403
    )
    assert client.get(f"{PREFIX}/jobs/99999", headers=heads["admin"]).status_code == 404


def test_an_import_and_a_verify_as_jobs(api, db_url) -> None:
    client, heads = api
    csv = "item,location,qty,lot\n" + "".join(f"CELL,A1,2,B{n:04d}\n" for n in range(500))
    started = client.post(f"{PREFIX}/jobs/imports/stock", headers={**heads["admin"],
                          "Content-Type": "text/csv"}, content=csv.encode())  # fmt: skip
    assert started.status_code == 202, started.text
    done = _wait(client, started.json()["url"], heads["admin"])
    assert done["status"] == "done" and done["result"]["written"], done
    csv_head = {**heads["admin"], "Content-Type": "text/csv"}
    bad = client.post(
        f"{PREFIX}/jobs/imports/stock", headers=csv_head, content=b"item,location,qty\nNO,A1,1\n"
    )
    failed = _wait(client, bad.json()["url"], heads["admin"])
    assert failed["status"] == "failed" and "nothing written" in failed["error"]
    check = client.post(f"{PREFIX}/jobs/verify", headers=heads["quality"])
    verified = _wait(client, check.json()["url"], heads["quality"])
    assert verified["status"] == "done" and verified["result"]["ok"] is True
    with tracelot.connect(db_url) as tl:
        assert sum(r["qty"] for r in tl.stock(item="CELL")) == 1000


class _Held:
    """The server's job runner, holding jobs until told to run them (a job queued behind
    another)."""

    def __init__(self) -> None:
        self.queued: list = []

    def submit(self, fn, *args) -> None:  # noqa: ANN001
        self.queued.append((fn, args))

    def shutdown(self, **_: object) -> None:
        pass

    def run(self) -> None:
        for fn, args in self.queued:
            fn(*args)


def test_a_job_of_a_user_disabled_before_it_runs_is_refused(
    api: tuple[TestClient, dict[str, dict]], db_url: str
) -> None:
    """The request that queues a job finds its user enabled; the job's parts, run later,
    ask again: a user disabled meanwhile receives nothing."""
    client, heads = api
    runner = client.app.state.jobs = _Held()
    queued = client.post(f"{PREFIX}/jobs/receive", headers=heads["operator"],
                         json={"item": "PCB", "to": "A1", "serials": "Z0001..Z0003"})  # fmt: skip
    assert queued.status_code == 202, queued.text
    with tracelot.connect(db_url) as tl:
        tl.disable_user("u_operator")
    runner.run()
    job = client.get(queued.json()["url"], headers=heads["admin"]).json()
    assert job["status"] == "failed", job
    assert "u_operator is deactivated" in job["error"], job
    with tracelot.connect(db_url) as tl, pytest.raises(NotFound):
        tl.where("PCB:Z0001")  # nothing was received
