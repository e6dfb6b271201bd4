"""`tracelot scan` (scans from standard input, one a line, as a wedge scanner types them)
and `tracelot label` (labels that scanners read back)."""

import gc
import os
import select
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tracelot.cli.common import (
    JsonOpt,
    OldRefOpt,
    ReferenceOpt,
    db,
    reference_of,
    scan_fields,
    write_output,
)
from tracelot.cli.output import err, operation, out, print_json, print_json_line, text
from tracelot.domain.errors import TracelotError

if TYPE_CHECKING:
    from tracelot.app import Tracelot


def scan(
    ctx: typer.Context,
    then: Annotated[
        str,
        typer.Option(
            "--then",
            help="identify (the default), receive, move-to, ship-to, consume-into, count or pick.",
        ),
    ] = "identify",
    target: Annotated[
        str | None,
        typer.Argument(
            help="move-to LOC, ship-to CUSTOMER, consume-into ITEM:SERIAL, count N, pick N."
        ),
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="Where a receipt or a build goes.")] = None,
    each: Annotated[
        bool, typer.Option("--each", help="Commit every scan at once, not the batch at the end.")
    ] = False,
    so: Annotated[
        int | None,
        typer.Option("--so", help="ship-to: against this sales order (its customer, its lines)."),
    ] = None,
    reference: ReferenceOpt = None,
    old_ref: OldRefOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Read scans from standard input, one a line, as a keyboard-wedge scanner types them.

    Each scan is shown as it comes (item, lot, serial, expiry, where it is now); a bad
    scan is refused with the reason and the session goes on. With --then, the accepted
    scans become one operation at the end (or one each with --each): a receipt (--to
    LOC), a move (move-to LOC), a shipment (ship-to CUSTOMER, or ship-to --so N against a
    sales order) or a build (consume-into ITEM:SERIAL --to LOC). A lot or item typed by
    hand takes its quantity as REF=QTY.
    Exits 1 if any scan was not ok.
    """
    from tracelot.services.scan_batch import MODES, Entry

    if then not in MODES:
        raise typer.BadParameter(f"one of {', '.join(MODES)}", param_hint="--then")
    if then == "count":  # each scan recorded in the count as it comes (cli/counts.py)
        from tracelot.cli.counts import scan_into_count

        return scan_into_count(db(ctx), target, at=to, as_json=as_json, lines=_lines())
    if then == "pick":  # each scan confirmed as a pick of the sales order (cli/orders.py)
        from tracelot.cli.orders import scan_into_pick

        return scan_into_pick(db(ctx), target, at=to, as_json=as_json, lines=_lines())
    if then == "identify" and (target or to or each):
        raise typer.BadParameter("identify takes no target, --to or --each", param_hint="--then")
    tracelot = db(ctx)
    gc.freeze()  # what start-up made lives to the end: collections pass it by (-7% on 10k)
    where = {"target": target, "to": to, "reference": reference_of(reference, old_ref)}
    if so is not None:
        if then != "ship-to":
            raise typer.BadParameter("only ship-to goes against a sales order", param_hint="--so")
        where["so"] = so
    if then == "identify":
        if _identify(tracelot, as_json):
            raise typer.Exit(1)
        return
    batch: list[Entry] = []
    refused = 0
    for line in (line for lines in _batches() for line in lines):
        payload = line.rstrip("\r\n")
        if not payload.strip():
            continue
        try:
            entry = tracelot.scan_accept(then, payload, batch)
            done = tracelot.scan_commit(then, [entry], **where) if each else []
        except TracelotError as exc:
            refused += 1
            shown = {**(scan_fields(tracelot, payload) if as_json else {"input": payload}),
                     "ok": False, "error": exc.message}  # fmt: skip
            _show(shown, f"refused  {payload!r}: {exc.message}", as_json, len(batch), refused)
            continue
        batch.append(entry)
        shown = {**entry.shown, "input": payload, "ref": entry.ref, "qty": entry.qty}
        _show(shown, f"ok       {_line(entry.shown)[9:]}", as_json, len(batch), refused)
        for result in done:
            print_json_line(result.to_dict()) if as_json else operation(result, as_json=False)
    if not each and batch:
        for result in tracelot.scan_commit(then, batch, **where):
            print_json_line(result.to_dict()) if as_json else operation(result, as_json=False)
    if refused:
        raise typer.Exit(1)


def _identify(tracelot: "Tracelot", as_json: bool) -> int:
    """Answer each line with what it names, in batches of the lines that came together;
    returns how many were refused."""
    from tracelot.services.scan import blank

    identified = refused = 0
    for lines in _batches():
        payloads = [p for p in (line.rstrip("\r\n") for line in lines) if p.strip()]
        try:
            results = tracelot.identify_each(payloads) if payloads else []
        except TracelotError as exc:  # the batch's read failed: each scan says why
            results = [{**blank(p), "error": exc.message} for p in payloads]
        for result in results:
            identified += result["ok"]
            refused += not result["ok"]
            _show(result, _line(result), as_json, identified, refused, flush=False)
        sys.stdout.flush()
    return refused


#: How much of standard input is read at most before its lines are answered.
_BATCH_BYTES = 1 << 18


def _batches() -> Iterator[list[str]]:
    """Standard input's lines, in batches of those that have arrived together: a scanner
    typing gives one line at a time, each answered at once; a pipe or a file gives up to
    256 KiB of lines, read in one transaction. Bytes that are not UTF-8 are read as
    U+FFFD (that scan is refused, the next one is read)."""
    fd = _stdin_fd()
    if fd is None:
        yield from ([line] for line in _lines())
        return
    pending, eof = b"", False
    while not eof:
        parts = [pending, os.read(fd, 1 << 16)]
        eof = not parts[-1]
        size = len(parts[-1])
        while not eof and size < _BATCH_BYTES and select.select([fd], [], [], 0)[0]:
            parts.append(os.read(fd, 1 << 16))
            eof = not parts[-1]
            size += len(parts[-1])
        *lines, pending = b"".join(parts).split(b"\n")
        if eof and pending:
            lines.append(pending)
        if lines:
            yield [line.decode("utf-8", errors="replace") for line in lines]


def _stdin_fd() -> int | None:
    """Standard input's file descriptor where it can be waited on (not a test's stream)."""
    if os.name != "posix":
        return None
    try:
        return sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):
        return None


def _lines() -> Iterator[str]:
    raw = getattr(sys.stdin, "buffer", None)
    if raw is None:
        yield from sys.stdin
        return
    for line in raw:
        yield line.decode("utf-8", errors="replace")


def _show(
    shown: dict[str, Any], line: str, as_json: bool, ok: int, refused: int, *, flush: bool = True
) -> None:
    if as_json:
        print_json_line(shown, flush=flush)
    else:
        out.print(line, markup=False)
        err.print(f"  [{ok} ok, {refused} refused]", markup=False)


def _line(r: dict[str, Any]) -> str:
    """One scan for people: what it names and where, or why not."""
    if r["kind"] == "location":
        what = f"location {r['location_path']}"
    elif r["kind"] in ("unit", "lot", "item") and r["item"]:
        key = f":{r['serial']}" if r["serial"] else f"@{r['lot']}" if r["lot"] else ""
        what = f"{r['kind']} {r['item']}{key}"
        if r["item_name"]:
            what += f" ({r['item_name']})"
        if r["expiry"]:
            what += f" expires {text(r['expiry'])}"
        if r["qty"] is not None and r["kind"] != "unit":
            what += f" qty {text(r['qty'])}"
        if r["location_path"]:
            what += f" at {r['location_path']}"
        if r["status"]:
            what += f", {r['status']}"
        if r["held"]:
            what += ", HELD"
    else:
        what = r["kind"] or "scan"
    if not r["ok"]:
        return f"refused  {r['input']!r}: {r['error']}"
    notes = "".join(f"  (warning: {w})" for w in r["warnings"])
    return f"ok       {what}{notes}"


def label(
    ctx: typer.Context,
    refs: Annotated[list[str], typer.Argument(help="Units, lots or locations (or scans).")],
    layout: Annotated[
        str, typer.Option("--layout", help="single (a page a label) or sheet.")
    ] = "single",
    size: Annotated[str, typer.Option("--size", help="A single label: 50x25mm, 2x1in.")] = (
        "50x25mm"
    ),
    paper: Annotated[str, typer.Option("--paper", help="A sheet: a4 or letter.")] = "a4",
    rows: Annotated[int, typer.Option("--rows", help="Labels down a sheet.")] = 8,
    cols: Annotated[int, typer.Option("--cols", help="Labels across a sheet.")] = 3,
    out_file: Annotated[Path, typer.Option("--out", help="The PDF to write.")] = Path("labels.pdf"),
    png: Annotated[Path | None, typer.Option("--png", help="One symbol alone, as PNG.")] = None,
    svg: Annotated[Path | None, typer.Option("--svg", help="One symbol alone, as SVG.")] = None,
    zpl: Annotated[
        Path | None, typer.Option("--zpl", help="Write ZPL for a thermal printer, not a PDF.")
    ] = None,
    dpi: Annotated[int, typer.Option("--dpi", help="ZPL: the printer's 203 or 300 dpi.")] = 203,
    printer: Annotated[
        str | None,
        typer.Option("--printer", help="Send the ZPL to HOST[:PORT] (its raw port, 9100)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Print-ready PDF labels for units, lots and locations: a GS1 DataMatrix for items
    with a GTIN, tracelot's own payload otherwise, a Code 128 for locations. --zpl and
    --printer give ZPL for thermal printers instead (the printer draws the symbols). With
    --json, what was written: `written` (the files), `sent` (the printer) and `labels`."""
    tracelot = db(ctx)
    for warning in tracelot.label_warnings(refs):
        err.print(f"warning: {warning}", markup=False)
    if zpl or printer:
        data = tracelot.label_zpl(refs, size=size, dpi=dpi)
        written, sent = [], None
        if zpl is not None:
            written.append(str(write_output(zpl, data)))
        if printer is not None:
            sent = tracelot.send_to_printer(printer, data)
        if as_json:
            print_json({"written": written, "sent": sent, "labels": len(refs), "bytes": len(data)})
        else:
            for path in written:
                err.print(f"{len(refs)} ZPL label(s) written to {path}", markup=False)
            if sent:
                err.print(f"{len(refs)} label(s) sent to the printer at {sent}", markup=False)
        return
    if png or svg:
        if len(refs) != 1:
            raise typer.BadParameter("--png and --svg draw one symbol: name one reference")
        written = []
        for path, fmt in ((png, "png"), (svg, "svg")):
            if path is not None:
                write_output(path, tracelot.label_symbol(refs[0], fmt=fmt))
                written.append(str(path))
                if not as_json:
                    out.print(f"symbol of {refs[0]} written to {path}")
        if as_json:
            print_json({"written": written, "labels": 1})
        return
    write_labels(tracelot, refs, out_file, layout=layout, size=size, paper=paper, rows=rows,
                 cols=cols)  # fmt: skip
    if as_json:
        print_json({"written": [str(out_file)], "labels": len(refs)})


def write_labels(tracelot: "Tracelot", refs: list[str], path: Path, **layout: Any) -> None:
    write_output(path, tracelot.label_pdf(refs, **layout))
    err.print(f"{len(refs)} label{'s' if len(refs) != 1 else ''} written to {path}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("scan")(scan)
    app.command("label")(label)
