"""GS1's linters: the checks that GS1's syntax dictionary names for each component of an
application identifier's value (`csum`, `yymmd0`, `iso4217`, `couponcode` ...).

Each linter takes one component's text and returns None, or what is wrong with it. Which
linter runs on which AI is the dictionary's business (`domain.gs1_dictionary`); here is
only what each name means, as GS1's Barcode Syntax Engine implements it (release
2026-01-27), so that tracelot agrees with GS1 on every value. The code lists (ISO 3166,
ISO 4217, package types, AIDC media types) are the engine's.
"""

from __future__ import annotations

import string
from collections.abc import Callable

Linter = Callable[[str], "str | None"]

DIGITS = frozenset(string.digits)
#: GS1's character set 82 (AI format X)
CSET82 = frozenset(string.ascii_letters + string.digits + "!\"%&'()*+,-./:;<=>?_")
#: GS1's character set 39 (AI format Y)
CSET39 = frozenset(string.ascii_uppercase + string.digits + "#-/")
#: GS1's character set 64, the file-safe base64 alphabet (AI format Z), and "=" padding
CSET64 = frozenset(string.ascii_letters + string.digits + "-_")
#: the shortest GS1 company prefix
GCP_MIN_LENGTH = 4
#: YY of the current century's reference year, for the leap years of six-digit dates
CURRENT_YEAR = 21

ISO3166_NUMERIC = frozenset(
    "004 008 010 012 016 020 024 028 031 032 036 040 044 048 050 051 052 056 060 064 068 070 "
    "072 074 076 084 086 090 092 096 100 104 108 112 116 120 124 132 136 140 144 148 152 156 "
    "158 162 166 170 174 175 178 180 184 188 191 192 196 203 204 208 212 214 218 222 226 231 "
    "232 233 234 238 239 242 246 248 250 254 258 260 262 266 268 270 275 276 288 292 296 300 "
    "304 308 312 316 320 324 328 332 334 336 340 344 348 352 356 360 364 368 372 376 380 384 "
    "388 392 398 400 404 408 410 414 417 418 422 426 428 430 434 438 440 442 446 450 454 458 "
    "462 466 470 474 478 480 484 492 496 498 499 500 504 508 512 516 520 524 528 531 533 534 "
    "535 540 548 554 558 562 566 570 574 578 580 581 583 584 585 586 591 598 600 604 608 612 "
    "616 620 624 626 630 634 638 642 643 646 652 654 659 660 662 663 666 670 674 678 682 686 "
    "688 690 694 702 703 704 705 706 710 716 724 728 729 732 740 744 748 752 756 760 762 764 "
    "768 772 776 780 784 788 792 795 796 798 800 804 807 818 826 831 832 833 834 840 850 854 "
    "858 860 862 876 882 887 894 ".split()
)

ISO4217_NUMERIC = frozenset(
    "008 012 032 036 044 048 050 051 052 060 064 068 072 084 090 096 104 108 116 124 132 136 "
    "144 152 156 170 174 188 192 203 208 214 222 230 232 238 242 262 270 292 320 324 328 332 "
    "340 344 348 352 356 360 364 368 376 388 392 396 398 400 404 408 410 414 417 418 422 426 "
    "430 434 446 454 458 462 480 484 496 498 504 512 516 524 532 533 548 554 558 566 578 586 "
    "590 598 600 604 608 634 643 646 654 682 690 702 704 706 710 728 748 752 756 760 764 776 "
    "780 784 788 800 807 818 826 834 840 858 860 882 886 901 924 925 926 927 928 929 930 933 "
    "934 936 938 940 941 943 944 946 947 948 949 950 951 952 953 955 956 957 958 959 960 961 "
    "962 963 964 965 967 968 969 970 971 972 973 975 976 977 978 979 980 981 984 985 986 990 "
    "994 997 999 ".split()
)

ISO3166_ALPHA2 = frozenset(
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ "
    "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM "
    "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS "
    "GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ "
    "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM "
    "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV "
    "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
    "VN VU WF WS YE YT ZA ZM ZW ".split()
)

MEDIA_TYPES = frozenset(
    "01 02 03 04 05 06 07 08 09 10 80 81 82 83 84 85 86 87 88 89 "
    "90 91 92 93 94 95 96 97 98 99".split()
)

PACKAGE_TYPES = frozenset(
    "1A 1B 1D 1F 1G 1W 200 201 202 203 204 205 206 210 211 212 2C 3A 3H 43 44 4A 4B 4C 4D 4F 4G "
    "4H 5H 5L 5M 6H 6P 7A 7B 8 8A 8B 8C 9 AA AB AC AD AF AG AH AI AJ AL AM AP APE AT AV B4 BB "
    "BC BD BE BF BG BGE BH BI BJ BK BL BM BME BN BO BP BQ BR BRI BS BT BU BV BW BX BY BZ CA CB "
    "CBL CC CCE CD CE CF CG CH CI CJ CK CL CM CN CO CP CQ CR CS CT CU CV CW CX CY CZ DA DB DC "
    "DG DH DI DJ DK DL DM DN DP DPE DR DS DT DU DV DW DX DY E1 E2 E3 EC ED EE EF EG EH EI EN FB "
    "FC FD FE FI FL FO FOB FP FPE FR FT FW FX GB GI GL GR GU GY GZ HA HB HC HG HN HR IA IB IC "
    "ID IE IF IG IH IK IL IN IZ JB JC JG JR JT JY KG KI LAB LE LG LT LU LV LZ MA MB MC ME MPE "
    "MR MS MT MW MX NA NE NF NG NS NT NU NV OA OB OC OD OE OF OK OPE OT OU P2 PA PAE PB PC PD "
    "PE PF PG PH PI PJ PK PL PLP PN PO POP PP PPE PR PT PU PUE PV PX PY PZ QA QB QC QD QF QG QH "
    "QJ QK QL QM QN QP QQ QR QS RB1 RB2 RB3 RCB RD RG RJ RK RL RO RT RZ S1 SA SB SC SD SE SEC "
    "SH SI SK SL SM SO SP SS ST STL SU SV SW SX SY SZ T1 TB TC TD TE TEV TG THE TI TK TL TN TO "
    "TR TRE TS TT TTE TU TV TW TWE TY TZ UC UN UUE VA VG VI VK VL VN VO VP VQ VR VS VY WA WB WC "
    "WD WF WG WH WJ WK WL WM WN WP WQ WR WRP WS WT WU WV WW WX WY WZ X11 X12 X15 X16 X17 X18 "
    "X19 X20 X3 XA XB XC XD XF XG XH XJ XK YA YB YC YD YF YG YH YJ YK YL YM YN YP YQ YR YS YT "
    "YV YW YX YY YZ ZA ZB ZC ZD ZF ZG ZH ZJ ZK ZL ZM ZN ZP ZQ ZR ZS ZT ZU ZV ZW ZX ZY ZZ ".split()
)


def _all_digits(data: str) -> bool:
    return all(c in DIGITS for c in data)


def _first_bad(data: str, allowed: frozenset[str]) -> int | None:
    for pos, c in enumerate(data):
        if c not in allowed:
            return pos
    return None


def csetnumeric(data: str) -> str | None:
    pos = _first_bad(data, DIGITS)
    return None if pos is None else f"a non-digit character at position {pos + 1}"


def cset82(data: str) -> str | None:
    pos = _first_bad(data, CSET82)
    return None if pos is None else f"{data[pos]!r} is not in GS1's character set 82"


def cset39(data: str) -> str | None:
    pos = _first_bad(data, CSET39)
    return None if pos is None else f"{data[pos]!r} is not in GS1's character set 39"


def cset64(data: str) -> str | None:
    pads = len(data) - len(data.rstrip("="))
    if pads > 2 or (pads > 0 and len(data) % 3 != 0):
        return "incorrect base64 padding"
    pos = _first_bad(data[: len(data) - pads], CSET64)
    return None if pos is None else f"{data[pos]!r} is not in GS1's character set 64"


def csum(data: str) -> str | None:
    if not data:
        return "too short for a check digit"
    weight = 3 if len(data) % 2 == 0 else 1
    parity = 0
    for c in data[:-1]:
        if c not in DIGITS:
            return "a non-digit character"
        parity += weight * int(c)
        weight = 4 - weight
    if data[-1] not in DIGITS:
        return "a non-digit character"
    if str((10 - parity % 10) % 10) != data[-1]:
        return "incorrect check digit"
    return None


_PRIMES = (
    2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83,
    89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167, 173, 179,
    181, 191, 193, 197, 199, 211, 223, 227, 229, 233, 239, 241, 251, 257, 263, 269, 271, 277,
    281, 283, 293, 307, 311, 313, 317, 331, 337, 347, 349, 353, 359, 367, 373, 379, 383, 389,
    397, 401, 409, 419, 421, 431, 433, 439, 443, 449, 457, 461, 463, 467, 479, 487, 491, 499,
    503, 509,
)  # fmt: skip
_CSET32 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_CSET82_ORDER = "!\"%&'()*+,-./0123456789:;<=>?" + string.ascii_uppercase
_CSET82_ORDER += "_" + string.ascii_lowercase
_CSET82_WEIGHT = {c: i for i, c in enumerate(_CSET82_ORDER)}


def csumalpha(data: str) -> str | None:
    """GS1's check character pair (AI 8013, 8014)."""
    n = len(data)
    if n > len(_PRIMES) + 2:
        return "too long for a check character pair"
    if n < 2:
        return "too short for a check character pair"
    if n == 2:
        return None if data == "22" else "incorrect check character pair"
    total = 0
    for pos, c in enumerate(data[:-2]):
        if c not in _CSET82_WEIGHT:
            return f"{c!r} is not in GS1's character set 82"
        total += _CSET82_WEIGHT[c] * _PRIMES[n - 3 - pos]
    total %= 1021
    if data[-2] != _CSET32[total >> 5] or data[-1] != _CSET32[total & 31]:
        return "incorrect check character pair"
    return None


def gcppos1(data: str) -> str | None:
    if len(data) < GCP_MIN_LENGTH:
        return "too short for a GS1 company prefix"
    if not _all_digits(data[:GCP_MIN_LENGTH]):
        return "not a valid GS1 company prefix"
    return None


def gcppos2(data: str) -> str | None:
    if len(data) < 2:
        return "too short for a GS1 company prefix"
    return gcppos1(data[1:])


def yyyymmd0(data: str) -> str | None:
    if len(data) != 8:
        return "date too short" if len(data) < 8 else "date too long"
    if not _all_digits(data):
        return "a non-digit character in a date"
    year, month, day = int(data[:4]), int(data[4:6]), int(data[6:])
    if not 1 <= month <= 12:
        return "illegal month"
    if month == 2:
        leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0
        last = 29 if leap else 28
    else:
        last = (31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]
    if day > last:
        return "illegal day"
    return None


def yyyymmdd(data: str) -> str | None:
    problem = yyyymmd0(data)
    if problem is None and data[6:8] == "00":
        return "illegal day (00)"
    return problem


def yymmd0(data: str) -> str | None:
    if len(data) != 6:
        return "date too short" if len(data) < 6 else "date too long"
    if not _all_digits(data):
        return "a non-digit character in a date"
    yy = int(data[:2])
    century = "19" if yy - CURRENT_YEAR >= 51 else "20" if yy - CURRENT_YEAR > -50 else "21"
    return yyyymmd0(century + data)


def yymmdd(data: str) -> str | None:
    problem = yymmd0(data)
    if problem is None and data[4:6] == "00":
        return "illegal day (00)"
    return problem


def _two_digits(data: str, what: str, top: int) -> str | None:
    if len(data) != 2:
        return f"{what} too short" if len(data) < 2 else f"{what} too long"
    if not _all_digits(data):
        return f"a non-digit character in the {what}"
    if int(data) > top:
        return f"illegal {what}"
    return None


def hh(data: str) -> str | None:
    return _two_digits(data, "hour", 23)


def mi(data: str) -> str | None:
    return _two_digits(data, "minute", 59)


def ss(data: str) -> str | None:
    return _two_digits(data, "second", 59)


def hhmi(data: str) -> str | None:
    if len(data) != 4:
        return "hour and minute too short" if len(data) < 4 else "hour and minute too long"
    return hh(data[:2]) or mi(data[2:])


def iso3166(data: str) -> str | None:
    return None if data in ISO3166_NUMERIC else "not an ISO 3166 country code"


def iso3166999(data: str) -> str | None:
    ok = data == "999" or data in ISO3166_NUMERIC
    return None if ok else "not an ISO 3166 country code or 999"


def iso3166alpha2(data: str) -> str | None:
    return None if data in ISO3166_ALPHA2 else "not an ISO 3166 alpha-2 country code"


def iso4217(data: str) -> str | None:
    return None if data in ISO4217_NUMERIC else "not an ISO 4217 currency code"


def iso5218(data: str) -> str | None:
    return None if data in ("0", "1", "2", "9") else "not an ISO 5218 biological sex code"


def mediatype(data: str) -> str | None:
    return None if data in MEDIA_TYPES else "not an AIDC media type"


def packagetype(data: str) -> str | None:
    return None if data in PACKAGE_TYPES else "not a package type code"


def _coordinate(data: str, top: int, what: str) -> str | None:
    if len(data) != 10:
        return f"{what} must be ten digits"
    if not _all_digits(data):
        return f"a non-digit character in the {what}"
    if int(data) > top:
        return f"invalid {what}"
    return None


def latitude(data: str) -> str | None:
    return _coordinate(data, 1800000000, "latitude")


def longitude(data: str) -> str | None:
    return _coordinate(data, 3600000000, "longitude")


def nonzero(data: str) -> str | None:
    if not _all_digits(data):
        return "a non-digit character"
    return None if data.strip("0") else "must not be zero"


def zero(data: str) -> str | None:
    return None if data and set(data) == {"0"} else "must be zero"


def winding(data: str) -> str | None:
    return None if data in ("0", "1", "9") else "not a winding direction (0, 1 or 9)"


def yesno(data: str) -> str | None:
    return None if data in ("0", "1") else "must be 0 or 1"


def hyphen(data: str) -> str | None:
    return None if data and set(data) == {"-"} else "must be a hyphen"


def importeridx(data: str) -> str | None:
    if len(data) != 1:
        return "the importer index is one character"
    return None if data in CSET64 else "not a valid importer index"


def pieceoftotal(data: str) -> str | None:
    if not _all_digits(data):
        return "a non-digit character"
    if not data or len(data) % 2:
        return "invalid length for a piece of a total"
    half = len(data) // 2
    piece, total = data[:half], data[half:]
    if not piece.strip("0"):
        return "piece number zero"
    if not total.strip("0"):
        return "total number of pieces zero"
    if piece > total:
        return "piece number exceeds the total"
    return None


def nozeroprefix(data: str) -> str | None:
    if data.startswith("0"):
        return "must not start with zero"
    return None if _all_digits(data) else "a non-digit character"


def hasnondigit(data: str) -> str | None:
    return None if not _all_digits(data) else "must hold a non-digit character"


def pcenc(data: str) -> str | None:
    hexdigits = frozenset(string.hexdigits)
    pos = 0
    while pos < len(data):
        if data[pos] == "%":
            if pos + 2 >= len(data):
                return "invalid percent-encoding"
            if data[pos + 1] not in hexdigits or data[pos + 2] not in hexdigits:
                return "invalid percent-encoding"
            pos += 2
        pos += 1
    return None


def posinseqslash(data: str) -> str | None:
    bad = "malformed position in sequence (N/M)"
    pos = 0
    while pos < len(data) and data[pos] in DIGITS:
        pos += 1
    if pos == 0 or pos >= len(data) or data[pos] != "/":
        return bad
    slash = pos
    if not _all_digits(data[slash + 1 :]) or slash >= len(data) - 1:
        return bad
    first, end = data[:slash], data[slash + 1 :]
    if first[0] == "0" or end[0] == "0":
        return "must not start with zero"
    if len(first) > len(end) or (len(first) == len(end) and first > end):
        return "the position exceeds the end of the sequence"
    return None


_IBAN_WEIGHT = {c: i + 1 for i, c in enumerate(string.digits + string.ascii_uppercase)}


def iban(data: str) -> str | None:
    if len(data) < 4:
        return "IBAN too short"
    if data[:2] not in ISO3166_ALPHA2:
        return "illegal IBAN country code"
    if len(data) > 34:
        return "IBAN too long"
    if len(data) <= 10:
        return "IBAN too short"
    check = 0
    for c in data[4:] + data[:4]:
        weight = _IBAN_WEIGHT.get(c)
        if weight is None:
            return f"{c!r} is not allowed in an IBAN"
        check = (check * (10 if weight <= 10 else 100) + weight - 1) % 97
    return None if check == 1 else "incorrect IBAN checksum"


class _Reader:
    """Walks a coupon's fields, each one (a length indicator and what it says) in turn."""

    def __init__(self, data: str) -> None:
        self.data, self.pos = data, 0

    def left(self) -> int:
        return len(self.data) - self.pos

    def peek(self) -> str | None:
        return self.data[self.pos] if self.pos < len(self.data) else None

    def take(self, n: int) -> str:
        text = self.data[self.pos : self.pos + n]
        self.pos += n
        return text


def _gcp_field(r: _Reader, what: str, allowed: str, nine_means_none: bool) -> str | None:
    vli = r.peek()
    if vli is None:
        return f"coupon: missing {what} length"
    if vli not in allowed:
        return f"coupon: invalid {what} length"
    r.take(1)
    n = 0 if (nine_means_none and vli == "9") else int(vli) + 6
    if r.left() < n:
        return f"coupon: truncated {what}"
    if n:
        problem = gcppos1(r.take(n))
        if problem:
            return f"coupon: {what}: {problem}"
    return None


def _purchase(r: _Reader, nth: str) -> str | None:
    vli = r.peek()
    if vli is None:
        return f"coupon: missing {nth} purchase requirement length"
    if vli not in "12345":
        return f"coupon: invalid {nth} purchase requirement length"
    r.take(1)
    if r.left() < int(vli):
        return f"coupon: truncated {nth} purchase requirement"
    r.take(int(vli))
    code = r.peek()
    if code is None:
        return f"coupon: missing {nth} purchase requirement code"
    if code > "4" and code != "9":
        return f"coupon: invalid {nth} purchase requirement code"
    r.take(1)
    if r.left() < 3:
        return f"coupon: truncated {nth} purchase family code"
    r.take(3)
    return None


def couponcode(data: str) -> str | None:
    """The North American coupon code of AI (8110)."""
    if not _all_digits(data):
        return "a non-digit character"
    r = _Reader(data)
    problem = _gcp_field(r, "company prefix", "0123456", False)
    if problem:
        return problem
    if r.left() < 6:
        return "coupon: truncated offer code"
    r.take(6)
    vli = r.peek()
    if vli is None:
        return "coupon: missing save value length"
    if vli not in "12345":
        return "coupon: invalid save value length"
    r.take(1)
    if r.left() < int(vli):
        return "coupon: truncated save value"
    r.take(int(vli))
    problem = _purchase(r, "1st")
    if problem:
        return problem
    if r.peek() == "1":
        r.take(1)
        code = r.peek()
        if code is None:
            return "coupon: missing additional purchase rules code"
        if code > "3":
            return "coupon: invalid additional purchase rules code"
        r.take(1)
        problem = _purchase(r, "2nd") or _gcp_field(
            r, "2nd purchase company prefix", "01234569", True
        )
        if problem:
            return problem
    if r.peek() == "2":
        r.take(1)
        problem = _purchase(r, "3rd") or _gcp_field(
            r, "3rd purchase company prefix", "01234569", True
        )
        if problem:
            return problem
    expiry = None
    if r.peek() == "3":
        r.take(1)
        if r.left() < 6:
            return "coupon: too short for the expiration date"
        expiry = r.take(6)
        if yymmdd(expiry):
            return "coupon: invalid expiration date"
    if r.peek() == "4":
        r.take(1)
        if r.left() < 6:
            return "coupon: too short for the start date"
        start = r.take(6)
        if yymmdd(start):
            return "coupon: invalid start date"
        if expiry is not None and start > expiry:
            return "coupon: expires before it starts"
    if r.peek() == "5":
        r.take(1)
        vli = r.peek()
        if vli is None:
            return "coupon: missing serial number length"
        r.take(1)
        if r.left() < int(vli) + 6:
            return "coupon: truncated serial number"
        r.take(int(vli) + 6)
    if r.peek() == "6":
        r.take(1)
        problem = _gcp_field(r, "retailer company prefix or GLN", "1234567", False)
        if problem:
            return problem
    if r.peek() == "9":
        r.take(1)
        for what, allowed in (
            ("save value code", "01256"),
            ("save value applies to item", "012"),
            ("store coupon flag", "0123456789"),
            ("don't multiply flag", "01"),
        ):
            c = r.peek()
            if c is None:
                return f"coupon: missing {what}"
            if c not in allowed:
                return f"coupon: invalid {what}"
            r.take(1)
    if r.left():
        return "coupon: excess data"
    return None


def couponposoffer(data: str) -> str | None:
    """The positive offer file coupon code of AI (8112)."""
    if not _all_digits(data):
        return "a non-digit character"
    r = _Reader(data)
    code = r.peek()
    if code is None:
        return "coupon: missing format code"
    if code not in "01":
        return "coupon: invalid format code"
    r.take(1)
    vli = r.peek()
    if vli is None:
        return "coupon: missing funder length"
    if vli > "6":
        return "coupon: invalid funder length"
    r.take(1)
    if r.left() < int(vli) + 6:
        return "coupon: truncated funder"
    r.take(int(vli) + 6)
    if r.left() < 6:
        return "coupon: truncated offer code"
    r.take(6)
    vli = r.peek()
    if vli is None:
        return "coupon: missing serial number length"
    r.take(1)
    if r.left() < int(vli) + 6:
        return "coupon: truncated serial number"
    r.take(int(vli) + 6)
    if r.left():
        return "coupon: excess data"
    return None


#: each linter by the name GS1's syntax dictionary gives it
LINTERS: dict[str, Linter] = {
    name: function
    for name, function in globals().items()
    if callable(function) and not name.startswith("_") and name.islower()
    and function.__module__ == __name__ and name != "Linter"
}  # fmt: skip
#: the linter of each character set of the dictionary's format specifications
CSET_LINTERS: dict[str, Linter] = {"N": csetnumeric, "X": cset82, "Y": cset39, "Z": cset64}
