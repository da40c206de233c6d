"""Finds order numbers, e-mail addresses, return codes and ticket codes in what shoppers write.

Plain regular expressions rather than a trained tagger: these values have fixed shapes, must be
found every time (also glued to Turkish suffixes: `400142'nin`, `#400142`, `400142nolu`), and
the values come back normalised (`iade-7014` -> `IADE-7014`, `skt 2026 000123` -> `SKT-2026-000123`).
"""
import re
from dataclasses import dataclass
from typing import List, Optional

ORDER_NO = re.compile(r"(?<![\d.@+\-/])#?(?P<value>\d{6})(?!\d)")
EMAIL = re.compile(r"(?P<value>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)", re.UNICODE)
RMA_CODE = re.compile(r"(?<!\w)(?P<prefix>[iİI][aA][dD][eE])\s?[-–]?\s?(?P<number>\d{4,5})(?!\d)")
# SKT-2026-000123 (complaints) or DST-2026-000045 (other requests), as shoppers type them:
# any case, spaces or no dash between the parts.
TICKET_CODE = re.compile(r"(?<![\w])(?P<prefix>skt|dst)\s*[-–]?\s*(?P<year>\d{4})\s*[-–]?\s*(?P<number>\d{6,9})(?!\d)",
                         re.IGNORECASE)


@dataclass(frozen=True)
class Match:
    entity: str
    value: str
    start: int
    end: int
    text: str


def find_entities(text: str) -> List[Match]:
    """All order numbers, e-mails, return and ticket codes in `text`, left to right, without overlaps
    (a ticket code's six digits are not also an order number: the longer match wins)."""
    found: List[Match] = []
    for match in EMAIL.finditer(text):
        value = match.group("value").rstrip(".").lower()
        found.append(Match("email", value, match.start(), match.start() + len(value), text[match.start():match.start() + len(value)]))
    for match in RMA_CODE.finditer(text):
        found.append(Match("rma_code", f"IADE-{match.group('number')}", match.start(), match.end(), match.group()))
    for match in TICKET_CODE.finditer(text):
        found.append(Match("ticket_code", ticket_code(match), match.start(), match.end(), match.group()))
    for match in ORDER_NO.finditer(text):
        start, end = match.start("value"), match.end("value")
        found.append(Match("order_no", match.group("value"), start, end, match.group("value")))
    found.sort(key=lambda m: (m.start, -(m.end - m.start)))
    result: List[Match] = []
    for match in found:
        if not result or match.start >= result[-1].end:
            result.append(match)
    return result


def ticket_code(match: "re.Match[str]") -> str:
    return f"{match['prefix'].upper()}-{match['year']}-{match['number']}"


def ticket_code_in(text: Optional[str]) -> Optional[str]:
    """The first ticket code in `text`, normalised (`skt 2026 000123` -> `SKT-2026-000123`)."""
    match = TICKET_CODE.search(text or "")
    return ticket_code(match) if match else None
