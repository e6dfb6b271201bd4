"""What the command modules share: the database of the command, common options."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

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
