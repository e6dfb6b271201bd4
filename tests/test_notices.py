"""A recall's notices to customers: PDF letters, and emails through a real SMTP server
(aiosmtpd, started by the test on loopback), recorded so that none is sent twice."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from pathlib import Path

import pypdfium2
import pytest
from aiosmtpd.controller import Controller
from conftest import Cli
from fastapi.testclient import TestClient

import tracelot
from tracelot.server import Settings, create_app
from tracelot.services.mail import MailSettings


class Inbox:
    """What the local mail server was given; it refuses the addresses in `refuse`."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: ANN001, ANN201, N802
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    handler = Inbox()
    port = _free_port()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    monkeypatch.setenv("TRACELOT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TRACELOT_SMTP_PORT", str(port))
    monkeypatch.setenv("TRACELOT_SMTP_TLS", "none")
    monkeypatch.setenv("TRACELOT_SMTP_FROM", "quality@maker.example")
    try:
        yield handler
    finally:
        server.stop()


@pytest.fixture
def opened(shipped_world: Cli, tl: tracelot.Tracelot) -> Cli:
    """Recall 1 of supplier lot CC-9: ACME received D1 and D2 (SO-1), GLOBEX D3 (SO-2)."""
    cli = shipped_world
    tl.set_party("ACME", email="recalls@acme.example", contact_name="Ann Lee")
    tl.set_party("GLOBEX", email="qa@globex.example")
    out = cli("recall", "open", "--supplier", "CELLCO", "--supplier-lot", "CC-9",
              "--reason", "cell swelling", "--json")  # fmt: skip
    assert out.exit_code == 0, out.stderr
    return cli


def _pdf_text(data: bytes) -> str:
    pdf = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


def test_letters_name_each_customers_units_with_their_shipments(opened: Cli, tmp_path) -> None:
    out = opened("recall", "notices", "1", "--out", str(tmp_path / "letters"), "--json")
    assert out.exit_code == 0, out.stderr
    done = out.json()
    files = sorted(Path(p).name for p in done["written"])
    assert files == ["recall-1-ACME.pdf", "recall-1-GLOBEX.pdf"]
    acme = _pdf_text((tmp_path / "letters" / "recall-1-ACME.pdf").read_bytes())
    assert "recall 1" in acme and "cell swelling" in acme and "Ann Lee" in acme
    assert "D1" in acme and "D2" in acme and "SO-1" in acme and "D3" not in acme
    globex = _pdf_text((tmp_path / "letters" / "recall-1-GLOBEX.pdf").read_bytes())
    assert "D3" in globex and "SO-2" in globex and "D1" not in globex
    assert done["sent"] == [] and done["failed"] == []
    shown = opened("recall", "show", "1", "--json").json()
    assert [(n["customer"], n["status"], n["written_by"]) for n in shown["notices"]] == [
        ("ACME", "written", "tester"),
        ("GLOBEX", "written", "tester"),
    ]


def test_notices_are_sent_once_and_a_failed_one_is_retried(opened: Cli, inbox: Inbox) -> None:
    inbox.refuse.add("qa@globex.example")
    first = opened("recall", "notices", "1", "--send", "--json")
    assert first.exit_code == 1  # one could not be sent
    done = first.json()
    assert done["sent"] == ["ACME"]
    assert [f["customer"] for f in done["failed"]] == ["GLOBEX"]
    assert "550" in done["failed"][0]["error"]
    assert "error: GLOBEX" in first.stderr
    (message,) = inbox.messages
    assert message["To"] == "recalls@acme.example"
    assert message["From"] == "quality@maker.example"
    assert message["Subject"] == "Product recall 1: action needed"
    assert "Dear Ann Lee" in message.get_body(("plain",)).get_content()
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "recall-1-ACME.pdf"
    assert "SO-1" in _pdf_text(attachment.get_content())
    states = {n["customer"]: n for n in opened("recall", "show", "1", "--json").json()["notices"]}
    assert states["ACME"]["status"] == "sent" and states["ACME"]["sent_to"] == (
        "recalls@acme.example"
    )
    assert states["ACME"]["sent_by"] == "tester" and states["ACME"]["attempts"] == 1
    assert states["GLOBEX"]["status"] == "failed" and "550" in states["GLOBEX"]["error"]

    # the address is fixed; running it again sends to GLOBEX only, never to ACME again
    inbox.refuse.clear()
    again = opened("recall", "notices", "1", "--send", "--json")
    assert again.exit_code == 0, again.stderr
    assert again.json()["sent"] == ["GLOBEX"] and again.json()["already_sent"] == ["ACME"]
    assert [m["To"] for m in inbox.messages] == ["recalls@acme.example", "qa@globex.example"]
    states = {n["customer"]: n for n in opened("recall", "show", "1", "--json").json()["notices"]}
    assert states["GLOBEX"]["status"] == "sent" and states["GLOBEX"]["attempts"] == 2
    assert states["GLOBEX"]["error"] is None
    third = opened("recall", "notices", "1", "--send", "--json")
    assert third.json()["sent"] == [] and len(inbox.messages) == 2


def test_a_customer_without_an_email_is_named_and_nothing_is_sent_to_them(
    opened: Cli, inbox: Inbox, tl: tracelot.Tracelot
) -> None:
    tl.set_party("GLOBEX", email="")
    out = opened("recall", "notices", "1", "--send")
    assert out.exit_code == 1
    assert "no email address for GLOBEX" in out.stderr
    assert [m["To"] for m in inbox.messages] == ["recalls@acme.example"]


def test_without_a_mail_server_sending_is_refused_and_nothing_is_recorded(
    opened: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("HOST", "PORT", "TLS", "FROM"):
        monkeypatch.delenv(f"TRACELOT_SMTP_{key}", raising=False)
    out = opened("recall", "notices", "1", "--send")
    assert out.exit_code == 1 and "no mail server is set up" in out.stderr
    shown = opened("recall", "show", "1", "--json").json()
    assert {n["status"] for n in shown["notices"]} == {"not written"}
    assert opened("recall", "notices", "1").exit_code == 2  # neither --out nor --send
    assert opened("recall", "notices", "9", "--out", "x").exit_code == 1  # no recall 9


def test_mail_settings_come_from_the_environment_or_a_settings_file(tmp_path) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text("s3cret\n")
    settings = tmp_path / "tracelot.env"
    settings.write_text(
        "# the mail server\nTRACELOT_SMTP_HOST=mail.example\nTRACELOT_SMTP_TLS=tls\n"
        f"TRACELOT_SMTP_USER=tl\nTRACELOT_SMTP_PASSWORD_FILE={secret}\n"
        "TRACELOT_SMTP_FROM=qa@maker.example\n"
    )
    found = MailSettings.from_environment(
        {"TRACELOT_SETTINGS_FILE": str(settings), "TRACELOT_SMTP_FROM": "recalls@maker.example"}
    )
    assert (found.host, found.port, found.tls, found.user) == ("mail.example", 465, "tls", "tl")
    assert found.sender == "recalls@maker.example"  # the variable wins over the file
    for bad, why in [
        ({"TRACELOT_SMTP_HOST": "h"}, "no mail server"),
        ({"TRACELOT_SMTP_HOST": "h", "TRACELOT_SMTP_FROM": "a@b.example",
          "TRACELOT_SMTP_TLS": "ssl"}, "TRACELOT_SMTP_TLS"),
        ({"TRACELOT_SMTP_HOST": "h", "TRACELOT_SMTP_FROM": "a@b.example",
          "TRACELOT_SMTP_PORT": "x"}, "PORT"),
        ({"TRACELOT_SMTP_HOST": "h", "TRACELOT_SMTP_FROM": "nobody"}, "not an email"),
    ]:  # fmt: skip
        with pytest.raises(tracelot.TracelotError, match=why):
            MailSettings.from_environment(bad)


def test_notices_over_the_api(opened: Cli, inbox: Inbox, db_url: str) -> None:
    with tracelot.connect(db_url) as tl:
        tl.add_user("qa", role="quality")
        tl.add_user("op", role="operator")
        quality = {"Authorization": f"Bearer {tl.create_token('qa')['token']}"}
        operator = {"Authorization": f"Bearer {tl.create_token('op')['token']}"}
    with TestClient(create_app(Settings(database_url=db_url))) as client:
        base = "/api/v1/recalls/1/notices"
        assert client.post(base, headers=operator, json={}).status_code == 403
        sent = client.post(base, headers=quality, json={})
        assert sent.status_code == 200 and sent.json()["sent"] == ["ACME", "GLOBEX"]
        assert sorted(m["To"] for m in inbox.messages) == [
            "qa@globex.example", "recalls@acme.example"
        ]  # fmt: skip
        states = client.get(base, headers=quality).json()
        assert [(n["customer"], n["status"]) for n in states] == [
            ("ACME", "sent"), ("GLOBEX", "sent")
        ]  # fmt: skip
        letter = client.get(f"{base}/ACME.pdf", headers=quality)
        assert letter.headers["content-type"] == "application/pdf"
        assert "SO-1" in _pdf_text(letter.content)
        assert client.get(f"{base}/NOBODY.pdf", headers=quality).status_code == 404
        assert client.post(base, headers=quality, json={}).json()["sent"] == []
