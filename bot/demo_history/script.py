"""The pieces a planned conversation is made of: the agents and the shop it plays in, and the
script that puts each message a little after the one before."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Dict, List, Optional, Sequence, Tuple

from bot.demo_history.plans import Line
from bot.demo_history.shop import Shop
from bot.desk import texts as desk_texts
from bot.knowledge import Topic
from bot.tickets.sla import SupportCalendar


@dataclass(frozen=True)
class Agent:
    id: int
    name: str
    languages: Tuple[str, ...]


@dataclass
class ChatContext:
    shop: Shop
    topics: Dict[str, Topic]
    calendar: SupportCalendar
    agents: List[Agent]
    canned: Dict[str, Dict[str, str]]  # data/desk.yml's canned responses: key -> {tr, en}
    now: datetime
    english: set = field(default_factory=set)  # customers who write in English


def pick(rng: random.Random, options: Dict, factor: Optional[Dict] = None):
    keys = list(options)
    return rng.choices(keys, weights=[options[k] * (factor or {}).get(k, 1.0) for k in keys])[0]


def stored(buttons: Sequence[dict]) -> List[Dict[str, str]]:
    """Buttons as the bridge stores them (Rasa's socket shape, bot/desk/texts.py)."""
    return [desk_texts.quick_reply(b["title"], b.get("payload")) for b in buttons]


class Script:
    """Messages in order, each a little after the one before."""

    def __init__(self, rng: random.Random, start: datetime, language: str):
        self.rng, self.t, self.language, self.lines = rng, start, language, []

    def _after(self, low: float, high: float) -> datetime:
        self.t += timedelta(seconds=self.rng.uniform(low, high))
        return self.t

    def shopper(self, text: str, intent: Optional[str] = None, understood: Optional[bool] = None,
                escalates: bool = False) -> Line:
        line = Line(self._after(6, 40), "shopper", text, intent, understood, escalates=escalates)
        self.lines.append(line)
        return line

    def bot(self, text: str = "", quick_replies: Sequence[dict] = (), fill=None) -> None:
        self.lines.append(Line(self._after(0.8, 2.5), "bot", text, quick_replies=stored(quick_replies), fill=fill))

    def system(self, text: str = "", quick_replies: Sequence[dict] = (), fill=None) -> None:
        self.lines.append(Line(self._after(0.3, 1.5), "system", text, quick_replies=stored(quick_replies), fill=fill))

    def agent(self, agent_id: int, text: str, low: float = 15, high: float = 70) -> None:
        self.lines.append(Line(self._after(low, high), "agent", text, agent_id=agent_id))

    def wait_until(self, moment: datetime) -> None:
        self.t = max(self.t, moment)
