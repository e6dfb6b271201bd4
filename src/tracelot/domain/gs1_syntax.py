"""GS1 syntax, read as GS1's own Barcode Syntax Engine reads it.

Every form in which GS1 data reaches tracelot ends here: the bracketed human-readable
form `(01)...(10)...`, the unbracketed form with FNC1 (`^` here, GS on the wire), what a
scanner sends after a GS1 symbology identifier (`]C1`, `]d2`, `]Q3`, `]e0`, `]J1`; `]E0`
and `]E4` for EAN/UPC, `]d1`, `]Q1`, `]J0` for plain data), and GS1 Digital Link URIs.
Each reader returns the AIs and their values in the order scanned, repeats kept, or
raises `GS1SyntaxError` naming the AI and the problem. The rules themselves (formats,
linters, pairings, Digital Link keys) come from GS1's syntax dictionary
(`domain.gs1_dictionary`); the order of the checks and what each input form allows
follow GS1's engine (release 2026-01-27, its default strict options), which the tests
use as the judge.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field

from tracelot.domain.gs1_dictionary import Dictionary, Entry, dictionary

FNC1 = "^"
GS = "\x1d"
#: the most data the engine takes, and the most AIs in one message
MAX_DATA = 8191
MAX_AIS = 64
#: GS1 symbology identifiers: whether the data after them is GS1 (AI) data
AI_SYMBOLOGIES = frozenset({"]C1", "]e0", "]d2", "]Q3", "]J1"})
PLAIN_SYMBOLOGIES = frozenset({"]d1", "]Q1", "]J0"})
#: EAN/UPC symbols: the primary message's length (a composite follows after `|]e0`)
EAN_SYMBOLOGIES = {"]E0": 13, "]E4": 8}
COMPOSITE = ("|", "")  # the place of a composite's separator among the AIs read
DL_SCHEMES = ("https://", "HTTPS://", "http://", "HTTP://")
URI_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-._~:/?#[]@!$&'()*+,;=%")
BAD_DOMAIN_CHARACTERS = frozenset("_~?#@!$&'()*+,;=%")


class GS1SyntaxError(ValueError):
    """GS1 data that GS1's rules refuse; the message names the AI and the problem."""


@dataclass
class Message:
    """What one input says: its AIs and values in scanned order (repeats kept), or
    plain data (`plain`) for a non-GS1 symbol."""

    elements: list[tuple[str, str]] = field(default_factory=list)
    symbology: str | None = None
    primary: str | None = None  # an EAN/UPC symbol's digits
    plain: str | None = None  # plain (non-GS1) data
    digital_link: bool = False


def _name(entry: Entry | None, ai: str) -> str:
    title = entry.title if entry is not None and entry.title else ""
    return f"AI ({ai})" + (f" {title}" if title else "")


def _length_check(entry: Entry, ai: str, value: str) -> None:
    if len(value) < entry.min_length:
        raise GS1SyntaxError(f"{_name(entry, ai)}: value {value!r} is too short")
    if len(value) > entry.max_length:
        raise GS1SyntaxError(f"{_name(entry, ai)}: value {value!r} is too long")
    if FNC1 in value:
        raise GS1SyntaxError(f"{_name(entry, ai)}: value {value!r} holds '^'")


def _validate_value(entry: Entry, ai: str, text: str) -> int:
    """Check a value against the entry's components; how much of text it took."""
    if not text:
        raise GS1SyntaxError(f"{_name(entry, ai)}: the value is empty")
    pos = 0
    for part in entry.components:
        length = min(len(text) - pos, part.max)
        if part.optional and length == 0:
            continue
        if length < part.min:
            raise GS1SyntaxError(f"{_name(entry, ai)}: value {text!r} has the wrong length")
        piece = text[pos : pos + length]
        for linter in part.linters:
            problem = linter(piece)
            if problem is not None:
                raise GS1SyntaxError(f"{_name(entry, ai)} {text!r}: {problem}")
        pos += length
    return pos


def _process(data: str, found: list[tuple[str, str]] | None, d: Dictionary) -> None:
    """Read an unbracketed message (`^` is FNC1, first), checking every value; the AIs go
    into `found` when given."""
    if not data.startswith(FNC1):
        raise GS1SyntaxError("GS1 data starts with FNC1")
    if len(data) == 1:
        raise GS1SyntaxError("the GS1 data is empty")
    p = 1
    while p < len(data):
        entry = d.lookup_prefix(data[p:])
        if entry is None:
            shown = data[p : p + 4]
            raise GS1SyntaxError(f"no known AI at {shown!r}: a GS separator may be missing")
        ai = entry.ai
        p += len(ai)
        end = data.find(FNC1, p)
        end = len(data) if end < 0 else end
        if entry.fixed:
            end = min(end, p + entry.max_length)
        taken = _validate_value(entry, ai, data[p:end])
        if found is not None:
            if len(found) >= MAX_AIS:
                raise GS1SyntaxError(f"more than {MAX_AIS} AIs")
            found.append((ai, data[p : p + taken]))
        p += taken
        if not entry.fixed and p < len(data) and data[p] != FNC1:
            raise GS1SyntaxError(f"{_name(entry, ai)}: the value is too long")
        if p < len(data) and data[p] == FNC1:
            p += 1


def _exists(elements: list[tuple[str, str]], pattern: str, ignore: str | None) -> str | None:
    """The first AI scanned that matches a dictionary pattern such as `01` or `310n`
    (not counting `ignore`, the AI whose rule this is)."""
    prefix = pattern.rstrip("n")
    for ai, _ in elements:
        if len(ai) == len(pattern) and ai.startswith(prefix) and ai != ignore:
            return ai
    return None


def check_rules(elements: list[tuple[str, str]], d: Dictionary | None = None) -> None:
    """The rules between AIs: `ex=` pairs, `req=` partners, repeats with different
    values, and a digital signature (8030) that needs a serialised key."""
    d = d or dictionary()
    entries = [(ai, d.entries[ai]) for ai in dict.fromkeys(ai for ai, _ in elements)]
    for ai, entry in sorted(entries):
        for pattern in entry.excludes:
            other = _exists(elements, pattern, ai)
            if other is not None:
                raise GS1SyntaxError(f"{_name(entry, ai)} must not appear with ({other})")
    for ai, entry in sorted(entries):
        for groups in entry.requires:
            if not any(all(_exists(elements, p, ai) for p in group) for group in groups):
                needed = " or ".join("".join(f"({p})" for p in group) for group in groups)
                raise GS1SyntaxError(f"{_name(entry, ai)} needs {needed} in the same scan")
    first: dict[str, str] = {}
    for ai, value in elements:
        if first.setdefault(ai, value) != value:
            raise GS1SyntaxError(f"{_name(d.entries[ai], ai)} appears twice with different values")
    if _exists(elements, "8030", None):
        for ai in ("253", "255", "8003"):
            entry = d.entries[ai]
            if any(a == ai and len(v) == entry.min_length for a, v in elements):
                raise GS1SyntaxError(f"{_name(entry, ai)} needs a serial component with (8030)")


def parse_unbracketed(data: str, *, rules: bool = True) -> list[tuple[str, str]]:
    """An unbracketed message, `^` for FNC1 (first) and as separator; `|` starts the
    2D component of a composite. `rules=False` checks each value but not the rules
    between AIs."""
    d = dictionary()
    if len(data) > MAX_DATA:
        raise GS1SyntaxError(f"more than {MAX_DATA} characters")
    found: list[tuple[str, str]] = []
    linear, bar, composite = data.partition("|")
    if linear.startswith(FNC1):
        _process(linear, found, d)
    if bar:
        _composite_separator(found)
        _process(composite, found, d)
        found.remove(COMPOSITE)
    if rules:
        check_rules(found, d)
    return found


def _composite_separator(found: list[tuple[str, str]]) -> None:
    """The `|` between a composite's linear and 2D parts counts towards the AIs' limit,
    as the engine counts it (it is taken out again before the rules are checked)."""
    if len(found) >= MAX_AIS:
        raise GS1SyntaxError(f"more than {MAX_AIS} AIs")
    found.append(COMPOSITE)


def _bracketed(text: str, d: Dictionary, found: list[tuple[str, str]]) -> str:
    data = ""
    fnc1_needed = True
    p = 0
    while p < len(text):
        if text[p] != "(":
            raise GS1SyntaxError(f"cannot read {text!r} as bracketed GS1 data")
        close = text.find(")", p + 1)
        if close < 0:
            raise GS1SyntaxError(f"cannot read {text!r} as bracketed GS1 data")
        ai = text[p + 1 : close]
        entry = d.lookup(ai) if ai.isdigit() and ai.isascii() else None
        if entry is None:
            raise GS1SyntaxError(f"({ai}) is no GS1 application identifier")
        if fnc1_needed:
            data += FNC1
        data += ai
        fnc1_needed = not entry.fixed
        start = close + 1
        if start >= len(text):
            raise GS1SyntaxError(f"{_name(entry, ai)} has no value")
        value = ""
        while True:
            q = text.find("(", start)
            q = len(text) if q < 0 else q
            if q < len(text) and text[q - 1] == "\\":  # an escaped bracket is data
                value += text[start : q - 1] + "("
                start = q + 1
                continue
            value += text[start:q]
            break
        _length_check(entry, ai, value)
        if len(found) >= MAX_AIS:
            raise GS1SyntaxError(f"more than {MAX_AIS} AIs")
        found.append((ai, value))
        data += value
        p = q
    _process(data, None, d)
    return data


def parse_bracketed(text: str) -> list[tuple[str, str]]:
    """The bracketed human-readable form `(01)...(10)...` (`\\(` is a bracket in a value;
    `|` starts the 2D component of a composite)."""
    d = dictionary()
    linear, bar, composite = text.partition("|")
    found: list[tuple[str, str]] = []
    _bracketed(linear, d, found)
    if bar:
        _composite_separator(found)
        _bracketed(composite, d, found)
        found.remove(COMPOSITE)
    check_rules(found, d)
    return found


def _unescape(text: str, query: bool) -> str:
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "%" and i < len(text) - 2:
            pair = text[i + 1 : i + 3]
            if all(h in string.hexdigits for h in pair):
                byte = int(pair, 16)
                if byte == 0:
                    raise GS1SyntaxError("a Digital Link value decodes to a NUL character")
                out.append(chr(byte))
                i += 3
                continue
            out.append("%")
        elif query and c == "+":
            out.append(" ")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def parse_digital_link(uri: str) -> list[tuple[str, str]]:
    """A GS1 Digital Link URI: its path's primary key and qualifiers, then the AIs of its
    query, in that order; other query parameters are ignored."""
    d = dictionary()
    if len(uri) > MAX_DATA:
        raise GS1SyntaxError(f"more than {MAX_DATA} characters")
    if any(c not in URI_CHARACTERS for c in uri):
        raise GS1SyntaxError("the URI holds characters a URI may not hold")
    scheme = next((s for s in DL_SCHEMES if uri.startswith(s)), None)
    if scheme is None:
        raise GS1SyntaxError("a GS1 Digital Link URI starts with https:// or http://")
    rest = uri[len(scheme) :]
    slash = rest.find("/")
    domain = rest if slash < 0 else rest[:slash]
    if any(c in BAD_DOMAIN_CHARACTERS for c in domain):
        raise GS1SyntaxError("the URI's domain holds characters a domain may not hold")
    if slash < 1:
        raise GS1SyntaxError("the URI has no domain or no path")
    path = rest[slash:]
    path, _, _fragment = path.partition("#")
    path, has_query, query = path.partition("?")
    start = _primary_key(path, d)
    found: list[tuple[str, str]] = []
    path_ais: list[str] = []
    data = ""
    fnc1_needed = True
    segments = path[start + 1 :].split("/")
    for ai, raw in zip(segments[::2], segments[1::2], strict=True):
        entry = d.entries[ai]
        if not raw:
            raise GS1SyntaxError(f"{_name(entry, ai)}: the value in the path is empty")
        value = _unescape(raw, False)
        data += (FNC1 if fnc1_needed else "") + ai + value
        fnc1_needed = not entry.fixed
        _length_check(entry, ai, value)
        found.append((ai, value))
        path_ais.append(ai)
    count = len(found)
    query_ais: list[str] = []
    for param in _query_params(query) if has_query else ():
        key, eq, raw = param.partition("=")
        entry = None
        if eq and (not key or (key.isdigit() and key.isascii())):
            entry = d.lookup(key)
            if entry is None:
                raise GS1SyntaxError(f"({key}) in the URI's query is no GS1 AI")
        count += 1  # a parameter that is no AI is ignored, but counts towards the limit
        if count > MAX_AIS:
            raise GS1SyntaxError(f"more than {MAX_AIS} AIs")
        if entry is None:
            continue
        if not raw:
            raise GS1SyntaxError(f"{_name(entry, key)}: the value in the query is empty")
        value = _unescape(raw, True)
        data += (FNC1 if fnc1_needed else "") + key + value
        fnc1_needed = not entry.fixed
        _length_check(entry, key, value)
        found.append((key, value))
        query_ais.append(key)
    if tuple(path_ais) not in d.dl_paths:
        shown = "/".join(path_ais)
        raise GS1SyntaxError(f"the URI's path AIs {shown} are no valid GS1 Digital Link key")
    seen: set[str] = set()
    for ai, _ in found:
        if ai in seen:
            raise GS1SyntaxError(f"{_name(d.entries[ai], ai)} appears twice in the URI")
        seen.add(ai)
    for ai in sorted(query_ais):
        if not d.entries[ai].dl_attribute:
            raise GS1SyntaxError(f"{_name(d.entries[ai], ai)} is not allowed in a URI's query")
        for j in range(1, len(path_ais) + 1):
            if (*path_ais[:j], ai, *path_ais[j:]) in d.dl_paths:
                raise GS1SyntaxError(f"{_name(d.entries[ai], ai)} belongs in the URI's path")
    _process(data, None, d)
    check_rules(found, d)
    return found


def _query_params(query: str) -> list[str]:
    """The query's parameters as the engine splits them: runs of `&` separate, and
    trailing ones leave one empty parameter."""
    params = []
    p = 0
    while p < len(query):
        while p < len(query) and query[p] == "&":
            p += 1
        r = query.find("&", p)
        r = len(query) if r < 0 else r
        params.append(query[p:r])
        p = r
    return params


def _primary_key(path: str, d: Dictionary) -> int:
    """Where the Digital Link part of a path starts: walking back from its end over
    /AI/value pairs, the first AI that is a primary key."""
    r = len(path)
    while True:
        while r > 0:
            r -= 1
            if path[r] == "/":
                break
        if r == 0:
            break
        p = path.rfind("/", 0, r)
        ai = path[p + 1 : r]
        entry = d.lookup(ai) if ai.isdigit() and ai.isascii() else None
        if entry is None:
            break
        if d.is_dl_primary_key(entry.ai):
            return p
        r = p
    raise GS1SyntaxError("the URI's path holds no GS1 Digital Link primary key")


def _parity_ok(digits: str) -> bool:
    weight = 3 if len(digits) % 2 == 0 else 1
    total = 0
    for c in digits[:-1]:
        total += weight * int(c)
        weight = 4 - weight
    return (10 - total % 10) % 10 == int(digits[-1])


def parse_scan_data(text: str) -> Message:
    """What a scanner sends: a symbology identifier (`]C1` ...), then its data (GS for
    FNC1 in GS1 symbols)."""
    if not text.startswith("]") or len(text) < 3:
        raise GS1SyntaxError("the scan has no symbology identifier")
    symbology, data = text[:3], text[3:]
    if len(data) >= MAX_DATA:
        raise GS1SyntaxError(f"more than {MAX_DATA - 1} characters")
    message = Message(symbology=symbology)
    if symbology in EAN_SYMBOLOGIES:
        length = EAN_SYMBOLOGIES[symbology]
        if len(data) < length:
            raise GS1SyntaxError(f"an EAN/UPC symbol ({symbology}) holds {length} digits")
        primary, composite = data[:length], None
        if data[length : length + 4] == "|]e0":
            composite = data[length + 4 :]
        elif len(data) > length:
            raise GS1SyntaxError(f"an EAN/UPC symbol ({symbology}) holds {length} digits")
        if not (primary.isdigit() and primary.isascii()):
            raise GS1SyntaxError(f"an EAN/UPC symbol ({symbology}) holds digits only")
        if not _parity_ok(primary):
            raise GS1SyntaxError(f"EAN/UPC {primary}: incorrect check digit")
        message.primary = primary
        if composite is not None:
            message.elements = _ai_scan_data(composite)
        return message
    if symbology in AI_SYMBOLOGIES:
        message.elements = _ai_scan_data(data)
        return message
    if symbology in PLAIN_SYMBOLOGIES:
        message.plain = data
        if data.startswith(DL_SCHEMES):
            message.elements = parse_digital_link(data)
            message.digital_link = True
        return message
    raise GS1SyntaxError(f"{symbology} is no symbology identifier of GS1 data")


def _ai_scan_data(data: str) -> list[tuple[str, str]]:
    if FNC1 in data:
        raise GS1SyntaxError("the scan holds '^', which no GS1 value may hold")
    d = dictionary()
    found: list[tuple[str, str]] = []
    _process(FNC1 + data.replace(GS, FNC1), found, d)
    check_rules(found, d)
    return found
