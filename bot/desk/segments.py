"""Knowing the customer: the segments a shopper belongs to, shown in the queue, the chat and the
ticket, and used to move some of them ahead in the live queue.

- vip: at least VIP_ORDERS orders or VIP_SPEND_TL spent in the last 12 months (the store's orders);
- open_ticket: a complaint or another ticket of theirs is still open;
- recent_return: a return opened in the last RECENT_RETURN_DAYS days.
The thresholds and which segments go ahead are settings (README, "Configuration").
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import FrozenSet, List, Sequence

from actions.store.interface import Order

SEGMENTS = ("vip", "open_ticket", "recent_return")
RECENT_RETURN_DAYS = 30
YEAR = timedelta(days=365)


@dataclass(frozen=True)
class SegmentRules:
    vip_orders: int = 5
    vip_spend_kurus: int = 1_000_000  # 10.000 TL
    ahead_in_queue: FrozenSet[str] = frozenset({"vip", "open_ticket"})

    @classmethod
    def parse(cls, vip_orders: int, vip_spend_tl: float, ahead: str) -> "SegmentRules":
        names = frozenset(part.strip() for part in ahead.split(",") if part.strip())
        unknown = names - set(SEGMENTS)
        if unknown:
            raise ValueError(f"unknown customer segment(s) {sorted(unknown)}; known: {', '.join(SEGMENTS)}")
        return cls(vip_orders, int(round(vip_spend_tl * 100)), names)


def segments_of(orders: Sequence[Order], open_tickets: int, now: datetime, rules: SegmentRules) -> List[str]:
    """The customer's segments, in SEGMENTS order. Cancelled orders do not count as spend."""
    last_year = [o for o in orders if o.placed_at >= now - YEAR and o.status != "iptal_edildi"]
    found = set()
    if len(last_year) >= rules.vip_orders or sum(o.total_kurus for o in last_year) >= rules.vip_spend_kurus:
        found.add("vip")
    if open_tickets:
        found.add("open_ticket")
    if any(r.opened_at >= now - timedelta(days=RECENT_RETURN_DAYS) for o in orders for r in o.returns):
        found.add("recent_return")
    return [name for name in SEGMENTS if name in found]


def goes_ahead(segments: Sequence[str], rules: SegmentRules) -> bool:
    return bool(set(segments) & rules.ahead_in_queue)
