"""Finds order numbers, e-mail addresses and return codes in what shoppers write.

Plain regular expressions rather than a trained tagger: these values have fixed shapes, must be
found every time (also glued to Turkish suffixes: `400142'nin`, `#400142`, `400142nolu`), and
the values come back normalised (`iade-7014` -> `IADE-7014`).
"""
import re
from dataclasses import dataclass
from typing import List

ORDER_NO = re.compile(r"(?<![\d.@+\-/])#?(?P<value>\d{6})(?!\d)")
EMAIL = re.compile(r"(?P<value>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)", re.UNICODE)
RMA_CODE = re.compile(r"(?<!\w)(?P<prefix>[iİI][aA][dD][eE])\s?[-–]?\s?(?P<number>\d{4,5})(?!\d)")


@dataclass(frozen=True)
class Match:
    entity: str
    value: str
    start: int
    end: int
    text: str


def find_entities(text: str) -> List[Match]:
    """All order numbers, e-mails and return codes in `text`, left to right, without overlaps."""
    found: List[Match] = []
    for match in EMAIL.finditer(text):
        value = match.group("value").rstrip(".").lower()
        found.append(Match("email", value, match.start(), match.start() + len(value), text[match.start():match.start() + len(value)]))
    for match in RMA_CODE.finditer(text):
        found.append(Match("rma_code", f"IADE-{match.group('number')}", match.start(), match.end(), match.group()))
    for match in ORDER_NO.finditer(text):
        start, end = match.start("value"), match.end("value")
        found.append(Match("order_no", match.group("value"), start, end, match.group("value")))
    found.sort(key=lambda m: (m.start, -(m.end - m.start)))
    result: List[Match] = []
    for match in found:
        if not result or match.start >= result[-1].end:
            result.append(match)
    return result
