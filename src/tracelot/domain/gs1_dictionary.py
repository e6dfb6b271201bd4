"""GS1's Barcode Syntax Dictionary, read: every application identifier, its format, its
linters and its rules with other AIs, as GS1 publishes them.

The dictionary ships with tracelot (`domain/gs1data/`, GS1's file unmodified, with its
SOURCE.txt and licence) and is read once, at the first scan. Everything tracelot checks
of an AI's value or of the AIs scanned together comes from here: the character set and
lengths of each component, the linters named (`domain.gs1_linters`), `req=` (the AIs
one must scan with it), `ex=` (those one must not), `dlpkey` (the Digital Link primary
keys and their qualifiers), and the flags `*` (a predefined length: no separator
follows) and `?` (allowed in a Digital Link query).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from itertools import combinations

from tracelot.domain.gs1_linters import CSET_LINTERS, LINTERS, Linter

DICTIONARY_FILE = "gs1-syntax-dictionary.txt"
FLAG_CHARACTERS = frozenset("*?!\"$%&'()+,-./:;<=>@[\\]^_`{|}~")


@dataclass(frozen=True)
class Component:
    """One component of an AI's value: its character set, lengths and linters."""

    cset: str  # N, X, Y or Z
    min: int
    max: int
    optional: bool
    linters: tuple[Linter, ...]  # the character set's linter first


@dataclass(frozen=True)
class Entry:
    """One application identifier as the dictionary defines it."""

    ai: str
    fixed: bool  # flag `*`: a predefined length, no separator needed after it
    dl_attribute: bool  # flag `?`: allowed in a Digital Link URI's query
    components: tuple[Component, ...]
    requires: tuple[tuple[tuple[str, ...], ...], ...]  # each req=: groups of AIs joined by +
    excludes: tuple[str, ...]  # every ex= AI (or pattern such as 310n)
    dlpkey: tuple[tuple[str, ...], ...] | None  # primary key: its qualifier sequences
    title: str

    @property
    def min_length(self) -> int:
        return sum(c.min for c in self.components if not c.optional)

    @property
    def max_length(self) -> int:
        return sum(c.max for c in self.components)


@dataclass(frozen=True)
class Dictionary:
    """The whole dictionary, ready for look-ups."""

    release: str
    entries: dict[str, Entry]
    length_by_prefix: dict[str, int]  # AI length by its first two digits
    dl_paths: frozenset[tuple[str, ...]]  # every valid Digital Link path AI sequence

    def lookup(self, ai: str) -> Entry | None:
        """The entry of exactly this AI, or None."""
        return self.entries.get(ai)

    def lookup_prefix(self, data: str) -> Entry | None:
        """The entry of the AI that data starts with, or None."""
        length = self.length_by_prefix.get(data[:2])
        return None if length is None else self.entries.get(data[:length])

    def is_dl_primary_key(self, ai: str) -> bool:
        return (ai,) in self.dl_paths


def _component(spec: str) -> Component:
    fmt, *names = spec.split(",")
    optional = fmt.startswith("[")
    if optional:
        fmt = fmt[1:-1]
    cset, length = fmt[0], fmt[1:]
    if cset not in CSET_LINTERS:
        raise ValueError(f"unknown character set in {spec!r}")
    if length.startswith(".."):
        low, high = 1, int(length[2:])
    else:
        low = high = int(length)
    linters = (CSET_LINTERS[cset], *(LINTERS[name] for name in names))
    return Component(cset, low, high, optional, linters)


def _refs(text: str, separator: str) -> tuple[str, ...]:
    return tuple(text.split(separator))


def _entries(line: str) -> list[Entry]:
    body, _, title = line.partition("#")
    tokens = body.split()
    ais, tokens = tokens[0], tokens[1:]
    flags = ""
    while tokens and all(c in FLAG_CHARACTERS for c in tokens[0]):
        flags += tokens.pop(0)
    components = []
    while tokens and (tokens[0][0].isupper() or tokens[0][0] == "["):
        components.append(_component(tokens.pop(0)))
    requires: list[tuple[tuple[str, ...], ...]] = []
    excludes: list[str] = []
    dlpkey: list[tuple[str, ...]] | None = None
    for token in tokens:
        key, _, value = token.partition("=")
        if key == "req":
            requires.append(tuple(_refs(group, "+") for group in value.split(",")))
        elif key == "ex":
            excludes.extend(value.split(","))
        elif key == "dlpkey":
            dlpkey = dlpkey or []
            dlpkey.extend(_refs(alt, ",") if alt else () for alt in value.split("|"))
    first, _, last = ais.partition("-")
    names = [first]
    if last:  # a range such as 3100-3105
        names = [first[:-1] + d for d in "0123456789" if first[-1] <= d <= last[-1]]
    return [
        Entry(
            ai,
            "*" in flags,
            "?" in flags,
            tuple(components),
            tuple(requires),
            tuple(excludes),
            tuple(dlpkey) if dlpkey is not None else None,
            title.strip(),
        )
        for ai in names
    ]


def parse_dictionary(text: str) -> Dictionary:
    """Read the syntax dictionary's text."""
    entries: dict[str, Entry] = {}
    release = ""
    for line in text.splitlines():
        if line.startswith("# Release:"):
            release = line.split(":", 1)[1].strip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        for entry in _entries(line):
            entries[entry.ai] = entry
    paths: set[tuple[str, ...]] = set()
    for entry in entries.values():
        for qualifiers in entry.dlpkey or ():
            for n in range(len(qualifiers) + 1):
                for chosen in combinations(qualifiers, n):
                    paths.add((entry.ai, *chosen))
    length_by_prefix = {ai[:2]: len(ai) for ai in entries}
    return Dictionary(release, entries, length_by_prefix, frozenset(paths))


@functools.cache
def dictionary() -> Dictionary:
    """GS1's syntax dictionary as tracelot ships it (read once)."""
    text = (resources.files(__package__) / "gs1data" / DICTIONARY_FILE).read_text("utf-8")
    return parse_dictionary(text)
