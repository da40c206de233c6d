"""Masks payment and identity data in what people type, before anything stores it (KVKK).

Found and replaced: card numbers (13-19 digits, Luhn-valid), Turkish ID numbers (TCKN, by their
checksum), IBANs (by ISO 13616 mod-97), a card's security code next to words that name it, and
with a card also its expiry date (`12/27`, or `1227` right after the card) and a code right after
it. Validity checks, not shapes alone, keep order numbers, RMA codes, e-mail addresses, phone
numbers, prices and dates as written.

Shoppers write numbers in every style: grouped by spaces, dashes or dots, glued to words
(`kartım:4111111111111111,`), in full-width or other Unicode digits; a card also in groups of four
parted by slashes (`4111/1111/1111/1111`) or broken over a line. The text is read through a
view of the same length (every digit as ASCII, every letter folded as bot/text.py folds), so a
match in the view is the same span of the original.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import unquote_plus

from bot.patterns import EMAIL, RMA_CODE
from bot.text import fold

MASKS = {
    "iban": "[gizlendi: IBAN]",
    "card": "[gizlendi: kart]",
    "tckn": "[gizlendi: TCKN]",
    "cvv": "[gizlendi: CVV]",
    "expiry": "[gizlendi: son kullanma]",
}

# Between the groups of one number: spaces (also no-break and thin ones), dashes, dots.
_SEPARATOR = r"[^\S\n]|[-.\u2010-\u2015_]"
_DIGIT_RUN = re.compile(r"(?<!\d)\d+(?:(?:%s){1,3}\d+)*(?!\d)" % _SEPARATOR)
# Only within a card, read as a whole: a slash, or one line break, between its groups.
_CARD_BREAK = r"[^\S\n]{0,2}[/\n][^\S\n]{0,2}"
_CARD_RUN = re.compile(r"(?<!\d)\d+(?:(?:(?:%s){1,3}|%s)\d+)*(?!\d)" % (_SEPARATOR, _CARD_BREAK))
_GROUP = re.compile(r"\d+")
_TRACKING_BEFORE = re.compile(r"(?:takip|tracking|gonderi|kargo)\w*[\s:#.\-]*(?:(?:no|numara|kod|number|code|id)\w*[\s:#.\-]*)?$")
_SEPARATOR_CHAR = re.compile(_SEPARATOR)

# IBAN lengths by country (SWIFT's IBAN registry); TR first, as shoppers here write it most.
IBAN_LENGTHS = {
    "TR": 26, "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20,
    "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
    "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30,
    "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25,
    "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24, "UA": 29,
    "VA": 22, "VG": 24, "XK": 20,
}
_IBAN_START = re.compile(r"[a-z]{2}(?=(?:%s)?\d(?:%s)?\d)" % (_SEPARATOR, _SEPARATOR))

# Words that name a card's security code, in the folded view (no Turkish letters, lower case).
# `ccv` is how many misspell it; `guvenlik` alone only right before the number (`güvenlik: 123`).
# Neither the word in our own mask (`[gizlendi: CVV] 4567`) nor one whose code was masked reaches
# over the mask to another number: masking again must change nothing.
_CVV_WORDS = (r"(?<![a-z])(?<!gizlendi: )(?:(?:cvv|cvc|ccv|cav)2(?!\d)|cvv|cvc|ccv|guvenlik(?:\s*(?:kod|numara|no\b|sayi)|(?=[^\w\n]{0,3}\d))"
              r"|security\s*(?:code|number)"
              r"|card\s*verification|kart\w{0,6}\s*arka\w{0,8}|arka\s*yuz\w{0,4}"
              r"|arkasindaki\s*(?:3|4|uc|dort)\s*(?:hane|rakam|numara|sayi))")
# A 3-4 digit number on its own: not part of a longer number, a price, a decimal or an RMA code.
_NOT_A_CODE_AFTER = r"(?![\d/]|[.,]\d|\s*(?:tl\b|try\b|lira|usd|eur|\$|€|₺))"
_CODE = r"(?<![\d\-/.,])(?P<code>\d{3,4})%s" % _NOT_A_CODE_AFTER
_CVV_AFTER = re.compile(r"(?:%s)(?P<gap>(?:(?!\d{3}|\[gizlendi:)[^\n]){0,40}?)%s" % (_CVV_WORDS, _CODE))
_CVV_BEFORE = re.compile(r"%s(?P<gap>[^\d\n]{0,15}?)(?:%s)" % (_CODE, _CVV_WORDS))
_NOT_A_CVV = re.compile(r"telefon|phone|gsm|cep\b|siparis|order|iade|return")
_EXPIRY = re.compile(r"(?<![\d/.\-])(?:0?[1-9]|1[0-2])\s?[/\-.]\s?(?:20)?\d\d(?!\d|[/.\-]\d)")
_CODE_AFTER_CARD = re.compile(r"[\s,;:/\-]{1,4}%s" % _CODE)
# Right after a card, four digits that read as month and year (`4111 ... 1111 1227 123`): its expiry.
_MMYY_AFTER_CARD = re.compile(r"[\s,;:\-]{1,4}(?<![\d\-/.,])(?P<date>(?:0[1-9]|1[0-2])\d\d)%s" % _NOT_A_CODE_AFTER)


@dataclass(frozen=True)
class Masked:
    text: str
    kinds: Tuple[str, ...]  # what was masked, in order of first appearance

    @property
    def changed(self) -> bool:
        return bool(self.kinds)


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    kind: str


def mask_sensitive(text: str) -> Masked:
    """`text` with every card number, TCKN, IBAN, CVV (and a card's expiry date) replaced."""
    if not isinstance(text, str) or not text:
        return Masked(text, ())
    view = reading_view(text)
    protected = [_Span(m.start(), m.end(), "") for pattern in (EMAIL, RMA_CODE) for m in pattern.finditer(view)]
    spans: List[_Span] = []
    # IBANs first: their digits would otherwise read as a card or a TCKN and be masked in part.
    spans += _ibans(view)
    expiries = [_Span(m.start(), m.end(), "expiry") for m in _EXPIRY.finditer(view)
                if _free(protected + spans, m.start(), m.end())]
    # A card's groups never take in the month of a date after it (`4111 ... 1111 03/27`): a slash
    # never parts a card's groups. Dates with dashes or dots may join a card's run; masked with it.
    dated = [span for span in expiries if "/" in view[span.start:span.end]]
    cards = _numbers(view, spans + dated, "card", _is_card)
    cards += _numbers(view, spans + dated, "card", _is_card, _CARD_RUN, _written_as_card)
    spans += cards
    # A parcel's tracking number has 11 digits too, and 1 in 100 passes the TCKN checksum.
    spans += [span for span in _numbers(view, spans, "tckn", _is_tckn)
              if not _TRACKING_BEFORE.search(view[max(0, span.start - 40):span.start])]
    spans += _cvvs(view, spans + protected)
    if cards:
        others = [span for span in spans if span.kind != "card"]
        spans += _card_extras(view, cards, [e for e in expiries if _free(others, e.start, e.end)], spans + protected)
    return _replace(text, spans)


def mask_text(text: str) -> str:
    return mask_sensitive(text).text


def mask_values(data: Any, keep: Sequence[str] = ("customer_token",)) -> Any:
    """Every string in a JSON-like value masked, but for the keys in `keep` (signed tokens)."""
    if isinstance(data, str):
        return mask_text(data)
    if isinstance(data, Mapping):
        return {key: value if key in keep else mask_values(value, keep) for key, value in data.items()}
    if isinstance(data, list):
        return [mask_values(value, keep) for value in data]
    return data


def mask_url(url: str) -> str:
    """A page address with its secrets masked; also one written percent-encoded in a query string
    (`?card=4111%201111...`), which is then kept decoded, as masked."""
    masked = mask_text(url)
    decoded = mask_sensitive(unquote_plus(masked))
    return decoded.text if decoded.changed else masked


def mask_phone(phone: Optional[str], keep: int = 2) -> str:
    """A phone number for agents' eyes: every digit but the last `keep` hidden, the layout kept
    (`0532 123 45 67` -> `**** *** ** 67`)."""
    if not phone:
        return ""
    keep = min(max(keep, 2), 4)
    digits = sum(1 for ch in phone if _digit(ch) is not None)
    seen, shown = 0, []
    for ch in phone:
        if _digit(ch) is not None:
            seen += 1
            shown.append(ch if seen > digits - keep else "*")
        else:
            shown.append(ch)
    return "".join(shown)


# --- reading --------------------------------------------------------------------------------
def _digit(ch: str) -> Optional[int]:
    return unicodedata.decimal(ch, None)


def reading_view(text: str) -> str:
    """`text` with the same length: Unicode digits as ASCII, letters folded (bot/text.fold: Turkish
    lower case without accents), full-width forms as their plain ones."""
    out = []
    for ch in text:
        value = _digit(ch)
        if value is not None:
            out.append(str(value))
            continue
        plain = unicodedata.normalize("NFKC", ch)
        folded = fold(plain) if len(plain) == 1 else ch
        out.append(folded if len(folded) == 1 else (plain if len(plain) == 1 else ch))
    return "".join(out)


def _free(spans: Sequence[_Span], start: int, end: int) -> bool:
    return all(end <= span.start or start >= span.end for span in spans)


# --- card numbers and TCKN ------------------------------------------------------------------
def _luhn(digits: str) -> bool:
    total = 0
    for position, ch in enumerate(reversed(digits)):
        value = int(ch)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _is_card(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and digits[0] != "0" and _luhn(digits)


def _is_tckn(digits: str) -> bool:
    if len(digits) != 11 or digits[0] == "0":
        return False
    d = [int(ch) for ch in digits]
    tenth = ((d[0] + d[2] + d[4] + d[6] + d[8]) * 7 - (d[1] + d[3] + d[5] + d[7])) % 10
    return d[9] == tenth and d[10] == sum(d[:10]) % 10


def _written_as_card(written: str, lengths: Sequence[int]) -> bool:
    """Digits over a slash or a line break (`_CARD_RUN`) form a card only as one is written:
    over one line break, or in groups of four (the last may be shorter; Amex 4/6/5) when slashes
    part them. Dates (`12/05/2026`) and lists of order numbers (`400142/400308/400511`) are not."""
    if "/" not in written and "\n" not in written:
        return False  # the plain runs found it already
    if written.count("\n") > 1:
        return False
    if "/" in written:
        return list(lengths) == [4, 6, 5] or (all(n == 4 for n in lengths[:-1]) and lengths[-1] <= 4)
    return True


def _numbers(view: str, taken: Sequence[_Span], kind: str, valid, runs=_DIGIT_RUN, written=None) -> List[_Span]:
    """Every run of digit groups whose groups, from one to another, form a valid number.

    A card may be grouped any way, so any whole groups may form it; all valid ones are masked
    (a wrong start must not leave the true number's last group readable). `written(text, group
    lengths)`, when given, must also accept the groups' writing."""
    found: List[_Span] = []
    for run in runs.finditer(view):
        groups = [(run.start() + g.start(), run.start() + g.end(), g.group()) for g in _GROUP.finditer(run.group())]
        for first in range(len(groups)):
            digits = ""
            for last in range(first, len(groups)):
                digits += groups[last][2]
                if len(digits) > 19:
                    break
                start, end = groups[first][0], groups[last][1]
                if not valid(digits) or not _free(taken, start, end):
                    continue
                if written is None or written(view[start:end], [len(g[2]) for g in groups[first:last + 1]]):
                    found.append(_Span(start, end, kind))
    return found


# --- IBAN -----------------------------------------------------------------------------------
def _mod97(iban: str) -> bool:
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _ibans(view: str) -> List[_Span]:
    found: List[_Span] = []
    for start_match in _IBAN_START.finditer(view):
        start = start_match.start()
        if not _free(found, start, start + 1):
            continue
        country = view[start:start + 2].upper()
        length = IBAN_LENGTHS.get(country)
        if length is None:
            continue
        if country != "TR" and (not view[start + 2].isdigit() or (start and view[start - 1].isalpha())):
            continue  # other countries' only as written (`DE89...`): "no 1234567890123" is no Norwegian IBAN
        chars, position, gap = [], start, 0
        while position < len(view) and len(chars) < length:
            ch = view[position]
            if ch.isascii() and ch.isalnum():
                chars.append(ch.upper())
                gap = 0
            elif len(chars) >= 2 and gap < 2 and _SEPARATOR_CHAR.fullmatch(ch):
                gap += 1
            else:
                break
            position += 1
        if len(chars) != length or (position < len(view) and view[position].isdigit()):
            continue
        iban = "".join(chars)
        if iban[2:4].isdigit() and _mod97(iban):
            found.append(_Span(start, position, "iban"))
    return found


# --- CVV and expiry -------------------------------------------------------------------------
def _cvvs(view: str, taken: Sequence[_Span]) -> List[_Span]:
    found: List[_Span] = []
    for pattern in (_CVV_AFTER, _CVV_BEFORE):
        for match in pattern.finditer(view):
            start, end = match.span("code")
            if _NOT_A_CVV.search(match.group("gap")):
                continue  # "güvenlik kodu yerine telefonumun son 4 hanesi 4567" is a proof, not a code
            if _free(taken, start, end) and _free(found, start, end):
                found.append(_Span(start, end, "cvv"))
    return found


def _card_extras(view: str, cards: Sequence[_Span], expiries: Sequence[_Span], taken: Sequence[_Span]) -> List[_Span]:
    """With a card in the message: its expiry date, and a code written right after the card or
    the date (`4111 1111 1111 1111 12/27 123`). Four digits right after the card that read as
    month and year are its expiry date, and a code after them its CVV (`... 1111 1227 123`)."""
    found: List[_Span] = list(expiries)
    card_ends = {span.end for span in cards}
    for after in sorted(card_ends | {span.end for span in found}):
        date = _MMYY_AFTER_CARD.match(view, after) if after in card_ends else None
        if date and _free(list(taken) + found, *date.span("date")):
            found.append(_Span(date.start("date"), date.end("date"), "expiry"))
            after = date.end("date")
        code = _CODE_AFTER_CARD.match(view, after)
        if code and _free(list(taken) + found, *code.span("code")):
            found.append(_Span(code.start("code"), code.end("code"), "cvv"))
    return found


def _replace(text: str, spans: Sequence[_Span]) -> Masked:
    """Overlapping spans become one mask (of the kind that starts first)."""
    merged: List[_Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = _Span(last.start, max(last.end, span.end), last.kind)
        else:
            merged.append(span)
    if not merged:
        return Masked(text, ())
    out, position, kinds = [], 0, []
    for span in merged:
        out.append(text[position:span.start])
        out.append(MASKS[span.kind])
        position = span.end
        if span.kind not in kinds:
            kinds.append(span.kind)
    out.append(text[position:])
    return Masked("".join(out), tuple(kinds))
