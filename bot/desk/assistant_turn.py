"""The assistant's turn: one shopper message to Rasa and back as a typed `Turn`, and Rasa's
bookkeeping around people (pause while a person has the chat, resume after, forget on "end chat").

The custom JSON the actions send is read into the contract's typed signals (bot/contract.py);
nothing here decides who answers next: bot/desk/inbound.py does, from the `Turn`.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set

from bot import contract
from bot.desk import events
from bot.desk.clock import BackgroundTasks, Clock
from bot.desk.rasa_client import BotReply, RasaClient, RasaUnavailable, nlu_reading, understood
from bot.desk.store import DeskStore

log = logging.getLogger(__name__)

# Rasa may be down when a chat ends: forgetting it is tried again in the background for a while.
FORGET_RETRY_SECONDS = (5.0, 30.0, 120.0, 600.0)


@dataclass
class Turn:
    replies: List[BotReply]
    signals: List[contract.Signal] = field(default_factory=list)
    nlu: Dict[str, Any] = field(default_factory=dict)

    @property
    def intent(self) -> Optional[str]:
        return self.nlu.get("intent")

    @property
    def escalation(self) -> Optional[str]:
        """Why a person takes over now: the shopper asked, or the assistant gave up."""
        for signal in self.signals:
            if isinstance(signal, contract.HandoffRequest):
                return signal.reason
        return next((s.reason for s in self.signals if isinstance(s, contract.HandoffOffer) and s.escalating), None)

    @property
    def missed(self) -> bool:
        """The assistant did not understand (a fallback, or one too many)."""
        return any(isinstance(s, contract.Fallback) or (isinstance(s, contract.HandoffOffer)
                                                        and s.reason == contract.REASON_REPEATED_FALLBACK)
                   for s in self.signals)

    @property
    def failed_to_help(self) -> bool:
        """Counts towards the shopper's frustration: a fallback or any offer of a person."""
        return any(isinstance(s, (contract.Fallback, contract.HandoffOffer)) for s in self.signals)

    @property
    def understood(self) -> bool:
        return not self.missed and understood(self.nlu)

    @property
    def proof_alerts(self) -> List[contract.ProofAlert]:
        return [s for s in self.signals if isinstance(s, contract.ProofAlert)]

    @property
    def opened_tickets(self) -> List[str]:
        """Codes of the tickets the action server opened in this turn (complaints, missed promises)."""
        return [s.reference if isinstance(s, contract.ComplaintRecorded) else s.code for s in self.signals
                if isinstance(s, (contract.ComplaintRecorded, contract.TicketOpened))]

    def stored_signals(self) -> Optional[Dict[str, Any]]:
        """The signals as they are kept with the assistant's messages (for reports and audits)."""
        kept = [s.to_json() for s in self.signals if not isinstance(s, contract.NluReading)]
        return {"custom": kept} if kept else None


def read_turn(replies: List[BotReply]) -> Turn:
    signals = [signal for signal in (contract.read_signal(reply.custom) for reply in replies if reply.custom)
               if signal is not None]
    return Turn(replies, signals, nlu_reading(replies))


def neutralise_commands(text: str) -> str:
    """Rasa reads a message starting with "/" as an intent with entities: never from a shopper."""
    return re.sub(r"^[\s/]+", "", text) or text


class Assistant:
    def __init__(self, rasa: RasaClient, store: DeskStore, clock: Clock, tasks: BackgroundTasks):
        self.rasa = rasa
        self.store = store
        self.clock = clock
        self.tasks = tasks
        self.unresumed: Set[str] = set()  # conversations whose Rasa tracker may still be paused

    async def take_turn(self, conversation_id: str, text: str, metadata: Dict[str, Any], *,
                        on_busy: Optional[Callable[[], Awaitable[None]]] = None) -> Turn:
        """Raises RasaUnavailable when Rasa does not answer (down, or too slow once asked), never
        because the turn waited for its place at a busy Rasa: `on_busy` is awaited once when that
        wait passes the client's `busy_notice_seconds` (the caller tells the shopper "one moment")."""
        await self.resume_if_needed(conversation_id)
        return read_turn(await self.rasa.send(conversation_id, neutralise_commands(text), metadata, on_busy=on_busy))

    async def slots(self, conversation_id: str) -> Dict[str, Any]:
        return await self.rasa.slots(conversation_id)

    async def resume_if_needed(self, conversation_id: str) -> None:
        """A failed resume is retried before the next message goes to Rasa (a paused tracker answers nothing)."""
        if conversation_id not in self.unresumed:
            return
        try:
            await self.rasa.resume(conversation_id)
            self.unresumed.discard(conversation_id)
        except RasaUnavailable:
            log.warning("Could not resume Rasa for %s yet; trying again with the next message", conversation_id)

    # --- subscribers -----------------------------------------------------------------------
    async def on_queued(self, event: events.Queued) -> None:
        """After the offer (a person should not wait for Rasa's bookkeeping): Rasa pauses."""
        try:
            await self.rasa.pause(event.conversation_id)
        except RasaUnavailable:
            pass  # the bridge owns the conversation either way
        conversation = self.store.conversation(event.conversation_id)
        if conversation is not None and conversation.state == "bot":  # already back with the assistant
            self.unresumed.add(event.conversation_id)

    async def on_back_to_assistant(self, event: events.BackToAssistant) -> None:
        self.unresumed.add(event.conversation_id)
        await self.resume_if_needed(event.conversation_id)

    async def on_ended(self, event: events.Ended) -> None:
        """Rasa's tracker is restarted: slots (the proven order, the customer) reset and a pause lifted."""
        self.unresumed.discard(event.conversation_id)
        try:
            await self.rasa.restart(event.conversation_id)
        except RasaUnavailable as error:
            log.warning("Rasa could not forget %s yet (%s); retrying in the background", event.conversation_id, error)
            self.tasks.start(self._retry_forget(event.conversation_id), name=f"forget {event.conversation_id}")

    async def _retry_forget(self, conversation_id: str) -> None:
        for delay in FORGET_RETRY_SECONDS:
            await self.clock.sleep(delay)
            try:
                await self.rasa.restart(conversation_id)
                return
            except RasaUnavailable:
                continue
        log.error("Rasa never forgot the ended conversation %s; its tracker still holds its slots", conversation_id)

    async def healthy(self) -> bool:
        return await self.rasa.healthy()
