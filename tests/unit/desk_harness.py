"""A desk built from its parts (bot/desk/wiring.py) with a fake Rasa, a fake clock and a socket
server that only records what it would send: state changes are driven without sockets or sleeps."""
from __future__ import annotations

import asyncio
import heapq
import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from bot.desk.models import DeskUser
from bot.desk.presence import OnlineAgent
from bot.desk.rasa_client import BotReply, RasaUnavailable
from bot.desk.segments import SegmentRules
from bot.desk.store import DeskStore, utcnow
from bot.desk.wiring import Desk, build_desk
from bot.settings import Settings

START = utcnow()  # the store stamps some rows itself: the fake clock starts at the real time


class FakeClock:
    """`sleep` returns when the test advances the clock past its deadline, in deadline order."""

    def __init__(self, start: datetime = START):
        self.moment = start
        self._sleepers: List[Tuple[datetime, int, asyncio.Future]] = []
        self._order = itertools.count()

    def now(self) -> datetime:
        return self.moment

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.moment + timedelta(seconds=seconds), next(self._order), future))
        await future

    async def advance(self, seconds: float) -> None:
        await settle()  # timers started just now register their sleep first
        target = self.moment + timedelta(seconds=seconds)
        while self._sleepers and self._sleepers[0][0] <= target:
            wake, _, future = heapq.heappop(self._sleepers)
            self.moment = wake
            if not future.done():
                future.set_result(None)
            await settle()
        self.moment = target
        await settle()

    def sleeping(self) -> int:
        return sum(1 for *_, future in self._sleepers if not future.done())


async def settle(rounds: int = 20) -> None:
    """Lets woken tasks run to their next real wait."""
    for _ in range(rounds):
        await asyncio.sleep(0)


class FakeRasa:
    """Answers with the replies queued for it (default: one plain line); records every call."""

    def __init__(self) -> None:
        self.calls: List[Tuple[str, str]] = []
        self.answers: List[List[BotReply]] = []
        self.slot_values: Dict[str, Any] = {}
        self.down = False

    def will_answer(self, *replies: BotReply) -> None:
        self.answers.append(list(replies))

    async def send(self, sender_id: str, text: str, metadata: Dict[str, Any], *, on_busy=None) -> List[BotReply]:
        self.calls.append(("send", sender_id))
        if self.down:
            raise RasaUnavailable("down")
        return self.answers.pop(0) if self.answers else [BotReply(text="Asistan yanıtı.")]

    async def pause(self, sender_id: str) -> None:
        self.calls.append(("pause", sender_id))

    async def resume(self, sender_id: str) -> None:
        self.calls.append(("resume", sender_id))

    async def restart(self, sender_id: str) -> None:
        self.calls.append(("restart", sender_id))
        if self.down:
            raise RasaUnavailable("down")

    async def slots(self, sender_id: str) -> Dict[str, Any]:
        return dict(self.slot_values)

    async def healthy(self) -> bool:
        return not self.down


class RecordingServer:
    """What python-socketio would emit, in order: (event, payload, room or sid, namespace)."""

    def __init__(self) -> None:
        self.sent: List[Tuple[str, Any, Optional[str], Optional[str]]] = []

    async def emit(self, event: str, data: Any = None, room: Optional[str] = None, to: Optional[str] = None,
                   namespace: Optional[str] = None, **_: Any) -> None:
        self.sent.append((event, data, room or to, namespace))

    def to(self, room: str, event: Optional[str] = None) -> List[Any]:
        return [data for name, data, target, _ in self.sent if target == room and (event is None or name == event)]


class FakeCustomers:
    """The shop as the desk reads it: nobody is known unless a test says so."""

    session = None

    def __init__(self) -> None:
        self.emails: Dict[int, str] = {}
        self.known_segments: Dict[int, List[str]] = {}

    def name(self, customer_id: Optional[int]) -> Optional[str]:
        return None

    def email(self, customer_id: Optional[int]) -> Optional[str]:
        return self.emails.get(customer_id)

    def context(self, customer_id: Optional[int]) -> Dict[str, Any]:
        return {}

    def customer_of_order(self, order_no: Optional[str]) -> Optional[int]:
        return None

    def order_status(self, order_no: Optional[str]) -> Optional[str]:
        return None

    def recent_proof_alerts(self) -> List[Dict[str, Any]]:
        return []

    rules = SegmentRules()

    def segments(self, customer_id: Optional[int]) -> List[str]:
        return list(self.known_segments.get(customer_id, []))


@dataclass
class Calm:
    score: float = 0.0
    escalate: bool = False
    signals: Tuple[str, ...] = ()


class CalmScorer:
    def score(self, text: str, **_: Any) -> Calm:
        return Calm()


@dataclass
class Harness:
    desk: Desk
    store: DeskStore
    rasa: FakeRasa
    clock: FakeClock
    sio: RecordingServer
    settings: Settings

    def add_agent(self, username: str, languages=("tr",), max_chats: int = 3) -> DeskUser:
        with self.store.session() as s:
            user = DeskUser(username=username, display_name=username.title(), role="agent", password_hash="x",
                            languages=list(languages), max_chats=max_chats, active=True, created_at=self.clock.now())
            s.add(user)
            s.commit()
            return user

    async def online(self, user: DeskUser, sid: Optional[str] = None) -> OnlineAgent:
        agent = self.desk.presence.connect(user, sid or f"sid-{user.username}")
        await self.desk.assignment.agent_connected(agent)
        await self.desk.tickets.assign()
        await self.desk.delivery.flush()
        return agent

    async def offline(self, agent: OnlineAgent) -> None:
        for sid in list(agent.sids):
            if self.desk.presence.disconnect(agent.user_id, sid):
                self.desk.delivery.agent_gone(agent.user_id)
                await self.desk.assignment.agent_disconnected(agent.user_id)
        await self.desk.delivery.flush()

    async def shopper_says(self, conversation_id: str, text: str, language: str = "tr") -> None:
        async with self.desk.conversations.lock(conversation_id):
            await self.desk.inbound.receive(conversation_id, text, {}, language, "203.0.113.5")
        await self.desk.delivery.flush()

    def shopper_saw(self, conversation_id: str) -> List[str]:
        return [data["text"] for data in self.sio.to(conversation_id, "bot_uttered")]

    def offers_to(self, agent: OnlineAgent) -> List[str]:
        return [data["conversation"]["id"] for data in self.sio.to(f"agent:{agent.user_id}", "offer")]

    def statuses(self, conversation_id: str) -> List[str]:
        return [data["state"] for data in self.sio.to(conversation_id, "handoff_status")]


def build(tmp_path: Path, **settings: Any) -> Harness:
    settings_ = Settings(state_dir=tmp_path, **{"support_hours": "always", **settings})
    store = DeskStore.open(f"sqlite:///{tmp_path / 'desk.db'}")
    rasa, clock, sio = FakeRasa(), FakeClock(), RecordingServer()
    desk = build_desk(settings_, store, rasa, sio, FakeCustomers(), CalmScorer(), clock)
    return Harness(desk, store, rasa, clock, sio, settings_)
