"""The desk's in-process event bus and its typed events.

The parts that decide (conversations.py, assignment.py, assistant_turn.py) write the store first
and then publish what happened; the parts that react (delivery.py, the only one that emits to
sockets; surveys.py; recovery.py; the assistant's pause and resume) subscribe. Handlers run in
the order they were subscribed, awaited one after the other inside the publisher's conversation
lock: never fire-and-forget, so "stored before delivered" and message order hold. Every
subscription is made in one place, bot/desk/wiring.py.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, DefaultDict, Dict, List, Optional, Tuple, Type, TypeVar

from bot.desk.models import Conversation, Message

log = logging.getLogger(__name__)


# --- messages ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class MessageStored:
    """A message of the conversation is stored: the shopper sees it unless it is theirs or a
    note; the agent holding the chat sees it."""
    conversation_id: str
    message: Message
    to_shopper: bool = True  # False for a line only the agent and the record read
    # The conversation as the message's own transaction read it, when the publisher has it: who
    # holds the chat is then known without reading it again (delivery reads it otherwise).
    conversation: Optional[Conversation] = None


@dataclass(frozen=True)
class MessageNotStored:
    """The database is down: the shopper's message must be kept (recovery.py spools it)."""
    conversation_id: str
    text: str
    metadata: Dict[str, Any]
    language: str


@dataclass(frozen=True)
class MessageUnstored:
    """A system text that could not be stored (the database is down): delivered only."""
    conversation_id: str
    text: str


@dataclass(frozen=True)
class Typing:
    conversation_id: str
    sender: str  # "shopper", "bot" or "agent"
    active: bool
    agent_name: Optional[str] = None


# --- who has the chat -------------------------------------------------------------------------
@dataclass(frozen=True)
class StateChanged:
    """The conversation moved between bot / queued / agent / ticket (the shopper's status changes)."""
    conversation_id: str
    state: str


@dataclass(frozen=True)
class Queued:
    """The conversation entered the queue for a person (the assistant pauses after the offer)."""
    conversation_id: str


@dataclass(frozen=True)
class BackToAssistant:
    """The conversation is the assistant's again: Rasa's paused tracker is resumed."""
    conversation_id: str


@dataclass(frozen=True)
class Released:
    """An agent's chat ended (closed, handed back, ended by the shopper)."""
    conversation_id: str
    agent_id: Optional[int]
    status: str  # "closed" or "handed_back"


@dataclass(frozen=True)
class QueueChanged:
    """The queue, an agent's load or presence changed: offers are made again, positions and the
    agents' desks are refreshed."""
    reason: str = ""


@dataclass(frozen=True)
class Ended:
    """The shopper ended the conversation for good ("end chat"): the assistant forgets it."""
    conversation_id: str


@dataclass(frozen=True)
class DeskChanged:
    """Routing is done with a change: the agents' desks and the queue positions are refreshed
    (delivery batches these into one broadcast)."""


# --- offers -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class OfferCancelled:
    """The chat left the queue: an offer out for it is withdrawn, its routing memory dropped."""
    conversation_id: str


@dataclass(frozen=True)
class OfferMade:
    conversation_id: str
    agent_id: int
    expires_in_seconds: float


@dataclass(frozen=True)
class OfferWithdrawn:
    conversation_id: str
    agent_id: int


# --- the assistant ----------------------------------------------------------------------------
@dataclass(frozen=True)
class AssistantAnswered:
    """The assistant answered a turn without handing over (surveys may ask for CSAT)."""
    conversation_id: str
    intent: Optional[str]


@dataclass(frozen=True)
class PartFailed:
    """A part the assistant depends on failed (the reason names it); recovery watches for its return."""
    reason: str


@dataclass(frozen=True)
class AgentAlert:
    """Something every online agent must see now (e.g. an order's proofs being guessed)."""
    payload: Dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ClosedByAgent:
    """An agent closed the chat: surveys ask for the rating (once per contact); closed with the
    follow-up tag, the work goes on as a ticket."""
    conversation_id: str
    agent_id: Optional[int] = None
    tags: Tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class TicketOpenedByAssistant:
    """The assistant opened a ticket in the action server (a complaint, a missed refund date)."""
    conversation_id: str
    code: str


@dataclass(frozen=True)
class TicketsChanged:
    """A ticket was opened, assigned, answered or changed status: consoles refresh."""
    news: Any


@dataclass(frozen=True)
class TicketAlert:
    """A ticket's deadline is near or past: these agents must see it now."""
    payload: Dict[str, Any]
    agent_ids: Tuple[int, ...]


E = TypeVar("E")
Handler = Callable[[Any], Awaitable[None]]


class EventBus:
    def __init__(self) -> None:
        self._handlers: DefaultDict[type, List[Handler]] = defaultdict(list)

    def subscribe(self, event_type: Type[E], handler: Callable[[E], Awaitable[None]]) -> None:
        self._handlers[event_type].append(handler)

    def subscribers(self, event_type: type) -> List[str]:
        """Who reacts to an event, in order (for docs and tests)."""
        return [getattr(h, "__qualname__", repr(h)) for h in self._handlers.get(event_type, [])]

    async def publish(self, event: Any) -> None:
        for handler in list(self._handlers.get(type(event), ())):
            await handler(event)
