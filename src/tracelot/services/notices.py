"""A recall's notices to customers: one letter each (a PDF), written and, through the
installation's mail server, sent; what was written or sent, when, by whom, and why a
send failed, kept per recall and customer, so that running it again sends only to the
customers not reached yet."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from sqlalchemy import Connection, insert, select, update

from tracelot.domain.contacts import Contact
from tracelot.domain.values import normalize
from tracelot.services.catalog import CONTACT_FIELDS
from tracelot.services.ledger import now
from tracelot.services.recalls import show_recall
from tracelot.store.tables import parties, recall_notices

#: a claim to send older than this is taken to be of a sender that died
CLAIM_TIMEOUT = dt.timedelta(minutes=10)


@dataclass
class Letter:
    """The notice to one customer: who, what they received, and how far it has got."""

    recall: int
    reason: str
    opened_at: dt.datetime
    customer: str
    customer_name: str
    contact: Contact
    lines: list[dict[str, Any]]
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        return f"recall-{self.recall}-{self.customer}.pdf"


def letters(conn: Connection, recall_id: int, recall: dict[str, Any] | None = None) -> list[Letter]:
    """The letters of a recall: one per customer who received something it lists."""
    recall = recall or show_recall(conn, recall_id)
    by_customer: dict[str, list[dict[str, Any]]] = {}
    for row in recall["notify"]:
        if row["customer"] is not None:
            by_customer.setdefault(row["customer"], []).append(row)
    found = {
        r.code: r for r in conn.execute(select(parties).where(parties.c.code.in_(by_customer)))
    }
    states = _states(conn, recall_id)
    return [
        Letter(
            recall=recall_id,
            reason=recall["reason"],
            opened_at=recall["opened_at"],
            customer=code,
            customer_name=found[code].name,
            contact=Contact(**{name: getattr(found[code], name) for name in CONTACT_FIELDS}),
            lines=rows,
            state=states.get(code, {}),
        )  # fmt: skip
        for code, rows in sorted(by_customer.items())
    ]


def notice_rows(
    conn: Connection, recall_id: int, recall: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Per customer to notify: the email on file, and when the notice was written or
    sent, by whom, after how many attempts, and the last failure."""
    return [
        {"customer": ltr.customer, "customer_name": ltr.customer_name,
         "email": ltr.contact.email, "lines": len(ltr.lines), **_public(ltr.state)}
        for ltr in letters(conn, recall_id, recall)
    ]  # fmt: skip


def show_recall_and_notices(conn: Connection, recall_id: int) -> dict[str, Any]:
    """`recalls.show_recall`, with where its notices to customers stand."""
    recall = show_recall(conn, recall_id)
    recall["notices"] = notice_rows(conn, recall_id, recall)
    return recall


def _public(state: dict[str, Any]) -> dict[str, Any]:
    status = "sent" if state.get("sent_at") else "failed" if state.get("error") else (
        "written" if state.get("written_at") else "not written")  # fmt: skip
    keys = ("written_at", "written_by", "sent_at", "sent_by", "sent_to", "attempts", "error")
    return {"status": status, **{k: state.get(k) for k in keys}} | {
        "attempts": state.get("attempts") or 0
    }


def _states(conn: Connection, recall_id: int) -> dict[str, dict[str, Any]]:
    query = (
        select(recall_notices, parties.c.code)
        .join(parties, parties.c.id == recall_notices.c.customer_id)
        .where(recall_notices.c.recall_id == recall_id)
    )
    return {r.code: dict(r._mapping) for r in conn.execute(query)}


def _notice_id(conn: Connection, recall_id: int, customer: str) -> int:
    """The row of a recall's notice to a customer, made on first use."""
    customer_id = conn.execute(select(parties.c.id).where(parties.c.code == customer)).scalar_one()
    found = conn.execute(
        select(recall_notices.c.id).where(
            recall_notices.c.recall_id == recall_id, recall_notices.c.customer_id == customer_id
        )
    ).scalar()
    if found is not None:
        return found
    return conn.execute(
        insert(recall_notices)
        .values(recall_id=recall_id, customer_id=customer_id, attempts=0)
        .returning(recall_notices.c.id)
    ).scalar_one()


def record_written(conn: Connection, *, recall_id: int, customers: list[str], user: str) -> None:
    at = now()
    for customer in customers:
        conn.execute(
            update(recall_notices)
            .where(recall_notices.c.id == _notice_id(conn, recall_id, customer))
            .values(written_at=at, written_by=user)
        )


def claim(conn: Connection, *, recall_id: int, customer: str) -> bool:
    """Take the sending of a notice, unless it was sent or another sender is at it: of two
    runs at once, each customer is sent to by one."""
    notice = _notice_id(conn, recall_id, customer)
    at = now()
    taken = conn.execute(
        update(recall_notices)
        .where(
            recall_notices.c.id == notice,
            recall_notices.c.sent_at.is_(None),
            recall_notices.c.claimed_at.is_(None)
            | (recall_notices.c.claimed_at < at - CLAIM_TIMEOUT),
        )
        .values(claimed_at=at, attempts=recall_notices.c.attempts + 1)
    )
    return taken.rowcount == 1


def record_sent(conn: Connection, *, recall_id: int, customer: str, to: str, user: str) -> None:
    conn.execute(
        update(recall_notices)
        .where(recall_notices.c.id == _notice_id(conn, recall_id, customer))
        .values(sent_at=now(), sent_by=user, sent_to=to, claimed_at=None, error=None)
    )


def record_failed(conn: Connection, *, recall_id: int, customer: str, error: str) -> None:
    conn.execute(
        update(recall_notices)
        .where(recall_notices.c.id == _notice_id(conn, recall_id, customer))
        .values(failed_at=now(), error=error[:2000], claimed_at=None)
    )


# -- the letter ------------------------------------------------------------------------------

WHAT_TO_DO = (
    "Please stop using and stop selling the units and lots listed below at once, set them "
    "apart, and contact us to arrange their return or exchange. Quote the recall number in "
    "all correspondence. If you passed any of them on, please tell your own customers."
)


def render_pdf(letter: Letter, *, sender: str | None = None) -> bytes:
    """The letter to one customer as an A4 PDF: the recall's reason, every unit or lot
    they received with its shipment (reference, date), and what to do."""
    from reportlab.lib import colors  # loaded only when letters are written
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, title=f"Recall {letter.recall}: notice to {letter.customer_name}",
        author=sender or "tracelot", leftMargin=20 * mm, rightMargin=20 * mm,
    )  # fmt: skip

    def para(text: str, style: str = "BodyText") -> Paragraph:
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(escaped.replace("\n", "<br/>"), styles[style])

    contact = letter.contact
    to = [letter.customer_name, contact.contact_name and f"Attn: {contact.contact_name}",
          contact.address]  # fmt: skip
    story: list[Any] = [
        para(f"Product recall notice: recall {letter.recall}", "Title"),
        para(f"Date: {dt.datetime.now(dt.UTC).date().isoformat()}"),
        para("\n".join(line for line in to if line)),
        Spacer(1, 6 * mm),
        para("Reason for the recall", "Heading2"),
        para(letter.reason),
        para("What to do", "Heading2"),
        para(WHAT_TO_DO),
        para(f"Affected goods you received ({len(letter.lines)})", "Heading2"),
    ]
    rows = [["Item", "Serial or lot", "Quantity", "Shipment", "Shipped on"]]
    for line in letter.lines:
        rows.append([
            line["item"], line["serial"] or (f"lot {line['lot']}" if line["lot"] else ""),
            format(normalize(line["qty"]), "f"), line["shipment_ref"] or "",
            line["shipment_date"].isoformat()[:10] if line["shipment_date"] else "",
        ])  # fmt: skip
    grid = Table(rows, repeatRows=1, hAlign="LEFT")
    grid.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("ALIGN", (2, 1), (2, -1), "RIGHT"),
    ]))  # fmt: skip
    story += [grid, Spacer(1, 8 * mm), para(f"Sent by {sender}" if sender else "")]
    doc.build(story)
    return out.getvalue()


def message(letter: Letter, pdf: bytes, *, sender: str) -> EmailMessage:
    """The email carrying a letter: a short text, and the letter attached."""
    msg = EmailMessage()
    msg["Subject"] = f"Product recall {letter.recall}: action needed"
    msg["From"] = sender
    msg["To"] = letter.contact.email or ""
    items = ", ".join(
        f"{ln['item']}:{ln['serial']}" if ln["serial"] else f"{ln['item']}@{ln['lot'] or ''}"
        for ln in letter.lines[:20]
    )
    more = f" and {len(letter.lines) - 20} more" if len(letter.lines) > 20 else ""
    greeting = letter.contact.contact_name or letter.customer_name
    msg.set_content(
        f"Dear {greeting},\n\nWe are recalling goods that you received from us.\n\n"
        f"Reason: {letter.reason}\n\nAffected: {items}{more}.\n\n{WHAT_TO_DO}\n\n"
        f"The attached letter lists each unit and lot with its shipment.\n"
    )
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=letter.filename)
    return msg
