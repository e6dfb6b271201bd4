"""`tracelot hold`, `release`, `holds` and `recall ...`: quarantine and recalls."""

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tracelot.cli.common import JsonOpt, NoteOpt, db, output_file
from tracelot.cli.output import err, out, print_json, table, text
from tracelot.services.tabular import NOTIFY_COLUMNS, write_csv

recall_app = typer.Typer(help="Recalls: open, work and close them.", no_args_is_help=True)

ITEM_COLUMNS = [
    "item", "serial", "lot", "qty", "status", "location_path", "customer", "shipment_ref",
    "disposition",
]  # fmt: skip


def hold(
    ctx: typer.Context,
    ref: str,
    reason: Annotated[str, typer.Option("--reason", help="Why it is held.")],
    as_json: JsonOpt = False,
) -> None:
    """Hold a unit or lot: it can be neither shipped nor consumed until released."""
    from tracelot.domain.commands import Hold

    held = db(ctx).run(Hold(ref=ref, reason=reason))
    print_json(held) if as_json else out.print(f"hold #{held['hold']} on {held['ref']}")


def release(ctx: typer.Context, ref: str, note: NoteOpt = None, as_json: JsonOpt = False) -> None:
    """Release the holds on a unit or lot."""
    from tracelot.domain.commands import Release

    done = db(ctx).run(Release(ref=ref, note=note))
    if as_json:
        print_json(done)
    else:
        out.print(f"released {done['ref']} (holds {', '.join(map(str, done['released']))})")


def holds(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every open hold."""
    rows = db(ctx).holds()
    columns = ["hold", "item", "serial", "lot", "reason", "recall", "at", "user"]
    print_json(rows) if as_json else table(rows, columns)


@recall_app.command("open")
def recall_open(
    ctx: typer.Context,
    refs: Annotated[list[str] | None, typer.Argument(help="Units or lots recalled.")] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why.")] = "",
    supplier: Annotated[str | None, typer.Option("--supplier")] = None,
    supplier_lot: Annotated[str | None, typer.Option("--supplier-lot")] = None,
    item: Annotated[
        str | None, typer.Option("--item", help="With --serials or --made-between.")
    ] = None,
    serials: Annotated[str | None, typer.Option("--serials", help="A list or range.")] = None,
    made_between: Annotated[
        tuple[str, str] | None, typer.Option("--made-between", help="Two dates: D1 D2.")
    ] = None,
    quarantine: Annotated[
        str | None, typer.Option("--quarantine", help="Move what is on hand to this location.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Open a recall: trace the scope forward, freeze the affected list, hold what we have."""
    from tracelot.domain.commands import OpenRecall

    command = OpenRecall(
        reason=reason, refs=tuple(refs or ()), supplier=supplier, supplier_lot=supplier_lot,
        item=item, serials=serials, made_between=made_between, quarantine=quarantine,
    )  # fmt: skip
    recall = db(ctx).run(command)
    _show(recall, as_json)


@recall_app.command("list")
def recall_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Recalls with their status and counts."""
    rows = db(ctx).recalls()
    if as_json:
        print_json(rows)
    else:
        table(rows, ["recall", "status", "reason", "opened_at", "opened_by", "affected", "open"],
              numeric=("affected", "open"))  # fmt: skip


@recall_app.command("show")
def recall_show(ctx: typer.Context, recall_id: int, as_json: JsonOpt = False) -> None:
    """Scope, counts by status, affected items and the customer notification list."""
    _show(db(ctx).recall(recall_id), as_json)


@recall_app.command("notify-list")
def recall_notify_list(
    ctx: typer.Context,
    recall_id: int,
    csv_file: Annotated[Path, typer.Option("--csv", help="Write the list to this CSV file.")],
    as_json: JsonOpt = False,
) -> None:
    """Write the customer notification list (per customer, what they received) as CSV."""
    rows = db(ctx).recall(recall_id)["notify"]
    with output_file(csv_file, newline="", encoding="utf-8") as fh:
        write_csv(fh, rows, NOTIFY_COLUMNS)
    customers = len({r["customer"] for r in rows})
    if as_json:
        print_json({"written": str(csv_file), "lines": len(rows), "customers": customers})
    else:
        out.print(f"{len(rows)} lines for {customers} customers in {csv_file}")


@recall_app.command("mark")
def recall_mark(
    ctx: typer.Context,
    recall_id: int,
    refs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Units ITEM:SERIAL and lots ITEM@LOT, or scans; - reads them from standard "
            "input, one a line."
        ),
    ] = None,
    disposition: Annotated[
        str,
        typer.Option(
            "--as",
            help="located, returned, returned-to-supplier, reworked, scrapped or cleared.",
        ),
    ] = ...,  # type: ignore[assignment]
    at: Annotated[
        str | None, typer.Option("--at", help="Everything of the recall at a location.")
    ] = None,
    customer: Annotated[
        str | None, typer.Option("--customer", help="Everything of the recall at a customer.")
    ] = None,
    to: Annotated[
        str | None,
        typer.Option("--to", help="returned-to-supplier: the supplier (else the recall's)."),
    ] = None,
    operation: Annotated[
        int | None,
        typer.Option("--operation", help="reworked: the repair (replace) or build that did it."),
    ] = None,
    note: NoteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record what became of affected units and lots, in one operation.

    Name them (scans too, or - to read them from standard input), or take everything of
    the recall at a location (--at) or of a customer (--customer)."""
    from tracelot.domain.commands import MarkRecall

    named = [
        text
        for ref in refs or ()
        for text in ([line.strip() for line in sys.stdin] if ref == "-" else [ref])
        if text
    ]
    command = MarkRecall(
        recall_id=recall_id, refs=tuple(named), disposition=disposition, at=at,
        customer=customer, to=to, operation=operation, note=note,
    )  # fmt: skip
    recall = db(ctx).run(command)
    said = " ".join(named) if len(named) <= 5 else f"{len(named)} references"
    said = said or "selected items"
    print_json(recall) if as_json else out.print(
        f"recall {recall_id}: {said} marked {disposition}; {recall['open']} still open"
    )


@recall_app.command("extend")
def recall_extend(
    ctx: typer.Context, recall_id: int, refs: list[str], as_json: JsonOpt = False
) -> None:
    """Add units or lots to a recall's scope."""
    from tracelot.domain.commands import ExtendRecall

    _show(db(ctx).run(ExtendRecall(recall_id=recall_id, refs=tuple(refs))), as_json)


@recall_app.command("close")
def recall_close(
    ctx: typer.Context,
    recall_id: int,
    force: Annotated[bool, typer.Option("--force", help="Close with items still open.")] = False,
    reason: Annotated[str | None, typer.Option("--reason")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Close a recall once every affected item has a disposition."""
    from tracelot.domain.commands import CloseRecall

    recall = db(ctx).run(CloseRecall(recall_id=recall_id, force=force, reason=reason))
    print_json(recall) if as_json else out.print(f"recall {recall_id} closed")


def _show(recall: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(recall)
        return
    scope = ", ".join(f"{k}={v}" for k, v in recall["scope"].items())
    out.print(f"recall {recall['recall']} ({recall['status']}): {recall['reason']}")
    out.print(f"  scope: {scope}")
    out.print(f"  opened {text(recall['opened_at'])} by {recall['opened_by']}")
    counts = ", ".join(f"{k} {v}" for k, v in sorted(recall["by_status"].items()))
    out.print(f"  affected: {recall['affected']} ({counts}); open: {recall['open']}")
    table(recall["items"], ITEM_COLUMNS, title="affected")
    table(recall["notify"], NOTIFY_COLUMNS[:-1], title="customers to notify")
    if recall.get("notices"):
        table(recall["notices"], NOTICE_COLUMNS, title="notices")


NOTICE_COLUMNS = ["customer", "email", "lines", "status", "written_at", "sent_at", "attempts",
                  "error"]  # fmt: skip


@recall_app.command("notices")
def recall_notices(
    ctx: typer.Context,
    recall_id: int,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Write one PDF letter per customer here.")
    ] = None,
    send: Annotated[
        bool,
        typer.Option("--send", help="Email each customer not sent to yet (TRACELOT_SMTP_*)."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """A letter to each customer the recall reached (what they received, with its
    shipment, and what to do): written as PDFs with --out, emailed with --send. Every
    send is recorded; a failed one is retried by running this again, and a customer
    already sent to is never sent to twice. Exits 1 if a notice could not be sent."""
    if out_dir is None and not send:
        raise typer.BadParameter("give --out DIR, --send, or both")
    done = db(ctx).recall_notices(recall_id, out_dir=out_dir, send=send)
    if as_json:
        print_json(done)
    else:
        if out_dir is not None:
            out.print(f"{len(done['written'])} letters written in {out_dir}")
        if send:
            out.print(f"sent to {len(done['sent'])} customers; "
                      f"{len(done['already_sent'])} had been sent to before")  # fmt: skip
        table(done["notices"], NOTICE_COLUMNS, title=f"recall {recall_id}: notices")
    if done["failed"]:
        for failure in done["failed"]:
            err.print(f"error: {failure['customer']}: {failure['error']}", markup=False)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("hold")(hold)
    app.command("release")(release)
    app.command("holds")(holds)
    app.add_typer(recall_app, name="recall")
