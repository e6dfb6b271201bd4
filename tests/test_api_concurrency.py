"""Many clients over HTTP at once, against a real `tracelot serve` with two workers: they
move and ship the same units in a race. Every answer is a success, a 409 that says why, or
a 422 for a move to where the unit already is;
afterwards the ledger verifies, every unit is shipped exactly once, and every move that
was answered 201 is in the unit's history (none lost, none twice)."""

from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
from conftest import Cli, serving

import tracelot

PREFIX = "/api/v1"
UNITS = [f"PCB:C{n:04d}" for n in range(1, 25)]
CLIENTS = 6


def _client_run(base: str, token: str, seed: int) -> list[tuple[str, str, int, str]]:
    """One client: moves and ships the units in its own random order, then ships them all."""
    rng = random.Random(seed)
    done = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:

        def send(kind: str, unit: str, body: dict) -> None:
            answer = http.post(f"{PREFIX}/operations/{kind}", json=body, timeout=30)
            detail = answer.json().get("detail", "") if answer.status_code != 201 else ""
            done.append((kind, unit, answer.status_code, detail))

        for unit in rng.sample(UNITS, len(UNITS)) * 2:
            if rng.random() < 0.7:
                send("move", unit, {"refs": [unit], "to": rng.choice(["A1", "A2"])})
            else:
                send("ship", unit, {"refs": [unit], "to": "ACME", "reference": f"SO-{seed}"})
        for unit in rng.sample(UNITS, len(UNITS)):
            send("ship", unit, {"refs": [unit], "to": "ACME", "reference": f"SO-{seed}"})
    return done


def test_clients_racing_for_the_same_units_ship_each_once(
    setup_basics: Cli, db_url: str, tmp_path
) -> None:
    cli = setup_basics
    assert cli("receive", "PCB", "--to", "A1", "--serials", "C0001..C0024").exit_code == 0
    with tracelot.connect(db_url) as tl:
        tl.add_user("racer", role="operator")
        token = tl.create_token("racer")["token"]

    with serving(db_url, tmp_path / "serve.log", workers=2) as base:
        with ThreadPoolExecutor(CLIENTS) as pool:
            runs = pool.map(_client_run, [base] * CLIENTS, [token] * CLIENTS, range(CLIENTS))
            answers = [a for run in runs for a in run]

    statuses = Counter(status for _, _, status, _ in answers)
    assert set(statuses) <= {201, 409, 422}, statuses  # never a 5xx, never a lost request
    assert statuses[201] and statuses[409]  # the race really happened
    refused = [detail for _, _, status, detail in answers if status == 409]
    assert all(detail for detail in refused), "a 409 says why"
    bad = {detail for _, _, status, detail in answers if status == 422}
    assert all("is already at" in detail for detail in bad), bad  # a move to where it is

    with tracelot.connect(db_url) as tl:
        assert tl.verify().ok
        for unit in UNITS:
            kinds = Counter(h["kind"] for h in tl.history(unit))
            ours = Counter(k for k, u, status, _ in answers if u == unit and status == 201)
            assert kinds["ship"] == ours["ship"] == 1, (unit, kinds, ours)
            assert kinds["move"] == ours["move"], (unit, kinds, ours)
            assert tl.where(unit)[0]["customer"] == "ACME"
