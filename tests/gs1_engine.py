"""GS1's Barcode Syntax Engine as the judge of tracelot's scan reading (test support).

The engine (tests/data/gs1-engine: GS1's C library and its Python binding, unmodified,
with LICENSE and SOURCE.md) is built with the C compiler into a temporary directory and
loaded with ctypes. `Judge.verdict` reads an input as tracelot does (the same form rules:
`domain.scan.unmarked_form` for an input without a symbology identifier) and says what
the engine makes of it: valid or not, and the AIs with their values in order.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from tracelot.domain import gs1_syntax
from tracelot.domain.scan import InvalidScan, parse_scan, unmarked_form

ENGINE = Path(__file__).parent / "data" / "gs1-engine"
GS = "\x1d"


def compiler() -> str | None:
    """The C compiler the engine is built with, if there is one."""
    return shutil.which("cc") or shutil.which("gcc")


def build(out: Path) -> Path:
    """Build the engine's shared library into `out` (half a minute at most)."""
    env = {**os.environ, "CC": os.environ.get("CC") or compiler() or "cc"}
    subprocess.run(
        ["bash", str(ENGINE / "build.sh"), str(out)], check=True, capture_output=True, env=env
    )
    return out / "libgs1encoders.so"


def binding(library: Path) -> ModuleType:
    """GS1's Python binding, loading the library just built (it asks for it by name)."""
    load = ctypes.cdll.LoadLibrary

    def by_path(name: str) -> Any:
        return load(str(library) if name == "libgs1encoders.so" else name)

    spec = importlib.util.spec_from_file_location("gs1encoders", ENGINE / "gs1encoders.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    ctypes.cdll.LoadLibrary = by_path  # type: ignore[method-assign]
    try:
        spec.loader.exec_module(module)
    finally:
        ctypes.cdll.LoadLibrary = load  # type: ignore[method-assign]
    return module


@dataclass(frozen=True)
class Verdict:
    valid: bool
    elements: tuple[tuple[str, str], ...] = ()
    error: str | None = None


def tracelot_verdict(text: str) -> Verdict:
    """What tracelot's scan reader makes of an input (a crash is not caught)."""
    try:
        scan = parse_scan(text)
    except InvalidScan as e:
        return Verdict(False, error=str(e))
    return Verdict(True, tuple(scan.elements))


class Judge:
    """One engine instance, with the engine's default (strict) options."""

    def __init__(self, module: ModuleType) -> None:
        self.encoder = module.GS1Encoder()
        self.errors: tuple[type[Exception], ...] = (
            module.GS1EncoderParameterException,
            module.GS1EncoderScanDataException,
            module.GS1EncoderDigitalLinkException,
            module.GS1EncoderGeneralException,
            UnicodeDecodeError,  # a refusal whose message quotes a cut UTF-8 sequence
        )

    def verdict(self, text: str) -> Verdict | None:
        """The engine's verdict on an input as tracelot reads it; None when tracelot reads
        it as no GS1 data at all (a code, a tracelot label, a symbol GS1 does not define)."""
        raw = text.rstrip("\r\n")
        if "\x00" in raw:  # the engine's C strings end at NUL: tracelot refuses it outright
            return Verdict(False, error="a NUL character")
        if raw.startswith("]") and len(raw) >= 3:
            symbology, body = raw[:3], raw[3:]
            if not body.strip(GS + " "):
                return None
            if symbology in gs1_syntax.AI_SYMBOLOGIES or symbology in gs1_syntax.EAN_SYMBOLOGIES:
                return self._call("scan_data", raw, symbology)
            if symbology in gs1_syntax.PLAIN_SYMBOLOGIES and body.startswith(gs1_syntax.DL_SCHEMES):
                return self._call("scan_data", raw, symbology)
            if symbology == "]I1" and body.isascii() and body.isdigit() and len(body) == 14:
                return self._call("data_str", "^01" + body, None)
            return None
        form, data = unmarked_form(raw)
        if form == "plain":
            return None
        setter = {"dl": "data_str", "bracketed": "ai_data_str", "unbracketed": "data_str"}[form]
        return self._call(setter, data, None)

    def _call(self, setter: str, data: str, symbology: str | None) -> Verdict:
        try:
            setattr(self.encoder, setter, data)
        except self.errors as e:
            return Verdict(False, error=str(e))
        elements = [_pair(line) for line in self.encoder.hri]
        if symbology in gs1_syntax.EAN_SYMBOLOGIES:
            primary = self.encoder.data_str.split("|")[0]
            elements.insert(0, ("01", primary.zfill(14)))
        return Verdict(True, tuple(elements))


def _pair(hri: str) -> tuple[str, str]:
    ai, _, value = hri[1:].partition(") ")
    return ai, value
