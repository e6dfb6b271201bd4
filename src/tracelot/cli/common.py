"""What the command modules share: the database of the command, common options."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from tracelot.domain.errors import CannotWrite

if TYPE_CHECKING:
    from tracelot.app import Tracelot

JsonOpt = Annotated[bool, typer.Option("--json", help="Write JSON instead of a table.")]
RefOpt = Annotated[str | None, typer.Option("--ref", help="Your reference (order, document).")]
#: A business reference (an order, a delivery note); `--ref` is its old name, still taken
#: (hidden: a REF is `ITEM:SERIAL`, `ITEM@LOT`, a code or a scan, as in `epcis export --ref`).
ReferenceOpt = Annotated[
    str | None, typer.Option("--reference", help="Your reference (order, document).")
]
OldRefOpt = Annotated[
    str | None, typer.Option("--ref", hidden=True, help="The old name of --reference.")
]
NoteOpt = Annotated[str | None, typer.Option("--note", help="A note kept with the operation.")]


def reference_of(reference: str | None, old_ref: str | None) -> str | None:
    """The business reference given as --reference, or by its old name --ref."""
    if reference is not None and old_ref is not None and reference != old_ref:
        raise typer.BadParameter("give --reference once (--ref is its old name)")
    return reference if reference is not None else old_ref


def db(ctx: typer.Context) -> "Tracelot":
    """The Tracelot the root callback opened for this command."""
    return ctx.find_root().obj


def write_output(path: Path | str, data: bytes | str) -> Path:
    """Write a file a command makes (a PDF, a picture, an export): a path that cannot be
    written is refused as `cannot write PATH: reason` (exit status 1), not a traceback."""
    path = Path(path)
    try:
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
    except OSError as exc:
        raise CannotWrite(path, exc) from None
    return path


@contextmanager
def output_file(path: Path | str, **options: str) -> Iterator[TextIO]:
    """A text file a command writes as it goes (a CSV), refused like `write_output`."""
    path = Path(path)
    try:
        fh = path.open("w", **options)  # type: ignore[call-overload]
    except OSError as exc:
        raise CannotWrite(path, exc) from None
    try:
        with fh:
            yield fh
    except OSError as exc:
        raise CannotWrite(path, exc) from None


def scan_fields(tracelot: "Tracelot", payload: str) -> dict[str, Any]:
    """What `tracelot scan --json` says of a scan (CONVENTIONS: `valid`, `kind`, `item`,
    `gtin`, `ais` ...), for the JSON line of a scan session; `REF=QTY` typed by hand is
    read as its REF."""
    from tracelot.domain.errors import TracelotError
    from tracelot.domain.scan import is_only_a_scan
    from tracelot.services.scan import blank

    typed = "=" in payload and not is_only_a_scan(payload)
    try:
        found = tracelot.identify_each([payload.partition("=")[0] if typed else payload])[0]
    except TracelotError:  # a busy database: the session goes on, the line says less
        found = blank(payload)
    return {**found, "input": payload}


def scan_session(
    tracelot: "Tracelot", lines: Any,
    step: Callable[[str, str | None], tuple[str | None, dict, str]], *,
    at: str | None, as_json: bool, done: str,
) -> int:  # fmt: skip
    """A `scan --then MODE N` session (count, pick): each line given to `step(payload,
    at)`, which answers where the next scans are, the scan's JSON (`kind` location for a
    location scanned) and what to say; a refused scan is shown with why and the session
    goes on. A JSON line has `tracelot scan --json`'s fields too (`scan_fields`). Answers
    how many were refused (the caller exits 1 if any)."""
    from tracelot.cli.output import err, out, print_json_line
    from tracelot.domain.errors import TracelotError

    ok = refused = 0
    for line in lines:
        payload = line.rstrip("\r\n")
        if not payload.strip():
            continue
        try:
            at, shown, said = step(payload, at)
        except TracelotError as exc:
            refused += 1
            shown, said = (
                {"input": payload, "ok": False, "error": exc.message},
                (f"refused  {payload!r}: {exc.message}"),
            )
        else:
            ok += shown.get("kind") != "location"
        if as_json:
            print_json_line({**scan_fields(tracelot, payload), **shown})
        else:
            out.print(said, markup=False)
            err.print(f"  [{ok} {done}, {refused} refused]", markup=False)
    return refused
