"""Inputs for the differential test against GS1's engine, generated from GS1's syntax
dictionary: a valid message built around every AI (its required partners added, its
excluded ones kept out), written in every form tracelot takes, then mutated."""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from urllib.parse import quote

from tracelot.domain import gs1_linters as lint
from tracelot.domain.gs1_dictionary import Component, Dictionary, Entry

GS = "\x1d"
CSETS = {
    "N": string.digits,
    "X": "".join(sorted(lint.CSET82)),
    "Y": "".join(sorted(lint.CSET39)),
    "Z": "".join(sorted(lint.CSET64)),
}
AI_SYMBOLOGIES = ("]C1", "]d2", "]Q3", "]e0", "]J1")
STEMS = (
    "https://id.gs1.org",
    "HTTPS://example.com",
    "http://example.com/some/path",
    "HTTP://x.example.org/01",
    "https://example.com/shop/01/01",
    "https://example.com/10/a",
)
STRANGERS = ("#", " ", "é", "|", "^", "\x1d", "(", ")", "~", "\\", "\x00", "@", "%", "=", "/")


def _check_digit(body: str) -> str:
    weight = 3 if (len(body) + 1) % 2 == 0 else 1
    total = 0
    for c in body:
        total += weight * int(c)
        weight = 4 - weight
    return str((10 - total % 10) % 10)


def _csumalpha_pair(body: str) -> str:
    n = len(body) + 2
    total = sum(lint._CSET82_WEIGHT[c] * lint._PRIMES[n - 3 - i] for i, c in enumerate(body))
    total %= 1021
    return lint._CSET32[total >> 5] + lint._CSET32[total & 31]


def _date(rng: random.Random, digits: int, zero_day: bool) -> str:
    year = rng.randint(1990, 2060)
    month = rng.randint(1, 12)
    day = rng.choice([0, rng.randint(1, 28)]) if zero_day else rng.randint(1, 28)
    text = f"{year:04d}{month:02d}{day:02d}"
    return text[-digits:]


def _iban(rng: random.Random) -> str:
    country = rng.choice(sorted(lint.ISO3166_ALPHA2))
    bban = "".join(rng.choice(string.digits + string.ascii_uppercase) for _ in range(16))
    moved = bban + country + "00"
    number = int("".join(str(int(c, 36)) for c in moved))
    return f"{country}{98 - number % 97:02d}{bban}"


def _coupon(rng: random.Random) -> str:
    vli = rng.randint(0, 6)
    text = str(vli) + "".join(rng.choice(string.digits) for _ in range(vli + 6))
    text += "".join(rng.choice(string.digits) for _ in range(6))  # offer code
    sv = rng.randint(1, 5)
    text += str(sv) + "".join(rng.choice(string.digits) for _ in range(sv))
    pr = rng.randint(1, 5)
    text += str(pr) + "".join(rng.choice(string.digits) for _ in range(pr))
    text += rng.choice("012349") + "".join(rng.choice(string.digits) for _ in range(3))
    if rng.random() < 0.5:
        text += "3" + _date(rng, 6, False)
    if rng.random() < 0.3:
        text += "9" + rng.choice("01256") + rng.choice("012") + rng.choice(string.digits)
        text += rng.choice("01")
    return text[:70]


def _coupon_pos(rng: random.Random) -> str:
    vli = rng.randint(0, 6)
    text = rng.choice("01") + str(vli)
    text += "".join(rng.choice(string.digits) for _ in range(vli + 6 + 6))
    svli = rng.randint(0, 9)
    return text + str(svli) + "".join(rng.choice(string.digits) for _ in range(svli + 6))


def component_value(part: Component, rng: random.Random, length: int | None = None) -> str:
    """A value of one component that its linters accept (mostly)."""
    names = {f.__name__ for f in part.linters[1:]}
    n = length if length is not None else rng.randint(part.min, part.max)
    chars = CSETS[part.cset]
    text = "".join(rng.choice(chars) for _ in range(n))
    table = {
        "iso3166": lint.ISO3166_NUMERIC, "iso3166999": lint.ISO3166_NUMERIC | {"999"},
        "iso3166alpha2": lint.ISO3166_ALPHA2, "iso4217": lint.ISO4217_NUMERIC,
        "mediatype": lint.MEDIA_TYPES, "packagetype": lint.PACKAGE_TYPES,
        "iso5218": {"0", "1", "2", "9"}, "winding": {"0", "1", "9"}, "yesno": {"0", "1"},
    }  # fmt: skip
    for name in names:
        if name in table:
            return rng.choice(sorted(table[name]))
    if "csum" in names:
        text = "".join(rng.choice(string.digits) for _ in range(n - 1))
        text += _check_digit(text)
    if "csumalpha" in names:
        body = "".join(rng.choice(string.digits) for _ in range(4))
        body += "".join(rng.choice(CSETS["X"]) for _ in range(max(0, n - 6)))
        if "hasnondigit" in names:
            body = body[:-1] + "A" if len(body) > 4 else body + "A"
        text = body + _csumalpha_pair(body)
    elif names & {"gcppos1", "gcppos2"} and "csum" not in names:
        text = "".join(rng.choice(string.digits) for _ in range(min(n, 5))) + text[5:]
    if names & {"yymmd0", "yymmdd", "yyyymmd0", "yyyymmdd"}:
        text = _date(rng, n, bool(names & {"yymmd0", "yyyymmd0"}))
    if "hhmi" in names:
        text = f"{rng.randint(0, 23):02d}{rng.randint(0, 59):02d}"
    if "hh" in names:
        text = f"{rng.randint(0, 23):02d}"
    if names & {"mi", "ss"}:
        text = f"{rng.randint(0, 59):02d}"
    if "latitude" in names:
        text = f"{rng.randint(0, 1800000000):010d}"
    if "longitude" in names:
        text = f"{rng.randint(0, 3600000000):010d}"
    if "nonzero" in names and not text.strip("0"):
        text = text[:-1] + "1"
    if "zero" in names:
        text = "0" * n
    if "hyphen" in names:
        text = "-" * n
    if "importeridx" in names:
        text = rng.choice(CSETS["Z"])
    if "pieceoftotal" in names:
        total = rng.randint(1, 10 ** (n // 2) - 1)
        text = f"{rng.randint(1, total):0{n // 2}d}{total:0{n // 2}d}"
    if "nozeroprefix" in names:
        text = rng.choice("123456789") + text[1:]
    if "pcenc" in names:
        text = text.replace("%", "A")
    if "posinseqslash" in names:
        end = rng.randint(1, 9)
        text = f"{rng.randint(1, end)}/{end}"
    if "iban" in names:
        text = _iban(rng)
    if "couponcode" in names:
        text = _coupon(rng)
    if "couponposoffer" in names:
        text = _coupon_pos(rng)
    if "cset64" in names or part.cset == "Z":
        text = text.rstrip("=") or "A"
    return text


def value_of(entry: Entry, rng: random.Random) -> str:
    parts = []
    for part in entry.components:
        if part.optional and rng.random() < 0.4:
            break
        parts.append(component_value(part, rng))
    return "".join(parts)


def message(d: Dictionary, ai: str, rng: random.Random) -> list[tuple[str, str]]:
    """A valid message (mostly) built around one AI: its partners added."""
    chosen = [ai]
    if rng.random() < 0.3:  # an unrelated AI beside
        extra = rng.choice(sorted(d.entries))
        if extra not in chosen and not any(_has([extra], p) for p in d.entries[ai].excludes):
            chosen.append(extra)
    for _ in range(4):
        added = False
        for a in list(chosen):
            for groups in d.entries[a].requires:
                if any(all(_has(chosen, p) for p in g) for g in groups):
                    continue
                group = rng.choice(groups)
                for p in group:
                    name = _concrete(d, p, rng)
                    if name and name not in chosen:
                        chosen.append(name)
                        added = True
        if not added:
            break
    rng.shuffle(chosen)
    return [(a, value_of(d.entries[a], rng)) for a in chosen]


def _has(chosen: list[str], pattern: str) -> bool:
    prefix = pattern.rstrip("n")
    return any(len(a) == len(pattern) and a.startswith(prefix) for a in chosen)


def _concrete(d: Dictionary, pattern: str, rng: random.Random) -> str | None:
    prefix = pattern.rstrip("n")
    names = [a for a in d.entries if len(a) == len(pattern) and a.startswith(prefix)]
    return rng.choice(names) if names else None


def bracketed(elements: list[tuple[str, str]]) -> str:
    return "".join(f"({ai}){value.replace('(', chr(92) + '(')}" for ai, value in elements)


def element_string(d: Dictionary, elements: list[tuple[str, str]], sep: str = GS) -> str:
    out = ""
    for i, (ai, value) in enumerate(elements):
        out += ai + value
        if i < len(elements) - 1 and not d.entries[ai].fixed:
            out += sep
    return out


def digital_link(d: Dictionary, elements: list[tuple[str, str]], rng: random.Random) -> str:
    """A Digital Link URI of a message: a primary key and its qualifiers in the path (in
    the dictionary's order), the rest in the query."""
    keys = [ai for ai, _ in elements if d.is_dl_primary_key(ai)]
    values = dict(elements)
    if keys:
        key = rng.choice(keys)
        paths = [p for p in d.dl_paths if p[0] == key and all(a in values for a in p)]
        path = max(paths, key=len) if rng.random() < 0.8 else rng.choice(paths)
    else:
        path = (rng.choice(sorted(p[0] for p in d.dl_paths if len(p) == 1)),)
        values[path[0]] = value_of(d.entries[path[0]], rng)
    stem = rng.choice(STEMS)
    uri = stem + "".join(f"/{ai}/{quote(values[ai], safe='')}" for ai in path)
    rest = [(ai, v) for ai, v in elements if ai not in path]
    if rest or rng.random() < 0.2:
        params = [f"{ai}={quote(v, safe='')}" for ai, v in rest]
        if rng.random() < 0.2:
            params.insert(rng.randrange(len(params) + 1), rng.choice(["x=1", "linkType=all", "a"]))
        uri += "?" + "&".join(params)
    if rng.random() < 0.1:
        uri += "#frag"
    return uri


def mutate_text(text: str, rng: random.Random) -> str:
    """One random edit: a character dropped, doubled, changed or inserted."""
    if not text:
        return rng.choice(STRANGERS)
    i = rng.randrange(len(text))
    kind = rng.randrange(5)
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    if kind == 2:
        return text[:i] + rng.choice(string.digits) + text[i + 1 :]
    if kind == 3:
        return text[:i] + rng.choice(STRANGERS) + text[i:]
    return text[:i] + rng.choice(string.ascii_letters + string.digits + "/?&=%+") + text[i:]


def mutate_message(
    d: Dictionary, elements: list[tuple[str, str]], rng: random.Random
) -> list[tuple[str, str]]:
    """One mutation of a message's meaning: a value edited, lengthened, shortened or given
    a bad date; a partner dropped; a forbidden or repeated AI added."""
    elements = list(elements)
    kind = rng.randrange(8)
    i = rng.randrange(len(elements))
    ai, value = elements[i]
    entry = d.entries[ai]
    if kind == 0 and value:  # a digit changed: check digits, dates, codes
        j = rng.randrange(len(value))
        elements[i] = (ai, value[:j] + rng.choice(string.digits) + value[j + 1 :])
    elif kind == 1:
        elements[i] = (ai, value + rng.choice(CSETS[entry.components[-1].cset]))
    elif kind == 2:
        elements[i] = (ai, value[:-1])
    elif kind == 3:  # a date with day 00 or month 13
        if value[:6].isdigit():
            month, day = rng.choice(["13", "00", "02"]), rng.choice(["00", "30", "31"])
            elements[i] = (ai, value[:2] + month + day + value[6:])
    elif kind == 4 and len(elements) > 1:
        del elements[i]
    elif kind == 5:  # a forbidden partner
        if entry.excludes:
            other = _concrete(d, rng.choice(entry.excludes), rng)
            if other:
                elements.append((other, value_of(d.entries[other], rng)))
    elif kind == 6:  # a repeat, the same value or another
        again = value if rng.random() < 0.5 else value_of(entry, rng)
        elements.insert(rng.randrange(len(elements) + 1), (ai, again))
    else:  # a character outside the set
        j = rng.randrange(len(value) + 1)
        elements[i] = (ai, value[:j] + rng.choice(STRANGERS) + value[j:])
    return elements


def mutate_uri(uri: str, rng: random.Random) -> str:
    """One edit of a Digital Link URI's structure."""
    kind = rng.randrange(9)
    path, _, query = uri.partition("?")
    if kind == 0:  # a zero-suppressed GTIN
        return uri.replace("/01/0", "/01/", 1)
    if kind == 1:  # a qualifier moved to the query, or an attribute to the path
        parts = path.split("/")
        if len(parts) >= 7:
            ai, value = parts[-2], parts[-1]
            return "/".join(parts[:-2]) + f"?{ai}={value}" + ("&" + query if query else "")
        return uri + ("&" if query else "?") + "10=ABC"
    if kind == 2:  # an AI twice
        return uri + ("&" if query else "?") + rng.choice(["01=09506000134352", "17=201231"])
    if kind == 3:  # a numeric parameter that is no AI
        return uri + ("&" if query else "?") + rng.choice(["9999=1", "1=2", "=x", "12345=6"])
    if kind == 4:  # qualifiers out of order
        parts = path.split("/")
        if len(parts) >= 9:
            parts[-4:-2], parts[-2:] = parts[-2:], parts[-4:-2]
        return "/".join(parts) + ("?" + query if query else "")
    if kind == 5:  # percent-encoding, good and bad
        return uri.replace("A", rng.choice(["%41", "%4", "%ZZ", "%00", "%2F", "%28", "+"]), 1)
    if kind == 6:  # an empty value or a trailing slash
        return path + rng.choice(["/", "//", "/10/", "/21"]) + ("?" + query if query else "")
    if kind == 7:  # the query's separators
        return uri + rng.choice(["&", "&&", "?", "#", "&x", "=&"])
    return uri.replace("https://", rng.choice(["HTTPS://", "Https://", "https:/", "ftp://"]), 1)


def inputs(d: Dictionary, rng: random.Random) -> Iterator[str]:
    """Endless inputs: for every AI in turn, a message written in every form, then
    mutated (as a message, and as text)."""
    ais = sorted(d.entries)
    while True:
        for ai in ais:
            elements = message(d, ai, rng)
            if rng.random() < 0.5:
                elements = mutate_message(d, elements, rng)
            forms = [
                bracketed(elements),
                element_string(d, elements),
                rng.choice(AI_SYMBOLOGIES) + element_string(d, elements),
                element_string(d, elements, sep=""),
                "^" + element_string(d, elements, sep="^"),
                bracketed(elements) + "|" + bracketed(message(d, ai, rng)),
                digital_link(d, elements, rng),
                rng.choice(["]Q1", "]d1", "]J0"]) + digital_link(d, elements, rng),
            ]
            for text in forms:
                yield text
                if rng.random() < 0.5:
                    yield mutate_text(text, rng)
            yield mutate_uri(forms[-2], rng)
        gtin = "".join(rng.choice(string.digits) for _ in range(13))
        gtin += _check_digit(gtin)
        for text in (gtin, gtin[1:], gtin[2:], "]E0" + gtin[1:], "]E4" + gtin[6:],
                     "]I1" + gtin, "]E0" + gtin[1:] + "|]e010ABC"):  # fmt: skip
            yield text
            yield mutate_text(text, rng)
