"""Conversation state: who has each chat (the assistant, the queue, an agent, a ticket) and every
move between them.

Each method writes the store first and then publishes what happened (bot/desk/events.py); it
never emits to a socket. Callers hold the conversation's lock (`lock()`), so one conversation's
moves happen one at a time and in order.
"""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional, Sequence

from bot.desk import events, texts
from bot.desk.clock import Clock
from bot.desk.errors import DeskError
from bot.desk.models import Conversation, Message
from bot.desk.store import DeskStore, Draft, TurnRecord
from bot.privacy.consent import apply_pending_marketing_consent

SHOPPER_ENDED = "shopper_ended"  # catalogue key of the line agents and the record read


class Conversations:
    def __init__(self, store: DeskStore, bus: events.EventBus, clock: Clock, shop_sessions):
        self.store = store
        self.bus = bus
        self.clock = clock
        self.shop_sessions = shop_sessions  # the shop's sessions, for the shopper's marketing choice
        self._locks: Dict[str, asyncio.Lock] = {}

    # --- one at a time ---------------------------------------------------------------------
    def lock(self, conversation_id: str) -> asyncio.Lock:
        """One conversation's shopper messages and agent actions run one at a time."""
        return self._locks.setdefault(conversation_id, asyncio.Lock())

    def forget_lock(self, conversation_id: str) -> bool:
        """The shopper's last socket is gone: drop the lock unless a message is being answered."""
        lock = self._locks.get(conversation_id)
        if lock is not None and lock.locked():
            return False
        self._locks.pop(conversation_id, None)
        return True

    def held_locks(self) -> int:
        return len(self._locks)

    # --- reading ---------------------------------------------------------------------------
    def get(self, conversation_id: Any) -> Conversation:
        conversation = self.store.conversation(conversation_id) if isinstance(conversation_id, str) else None
        if conversation is None:
            raise DeskError("unknown_conversation")
        return conversation

    def owned_by(self, agent_id: int, conversation_id: Any) -> Conversation:
        conversation = self.get(conversation_id)
        if conversation.state != "agent" or conversation.agent_id != agent_id:
            raise DeskError("not_yours")
        return conversation

    # --- messages --------------------------------------------------------------------------
    async def say(self, conversation: Conversation, sender: str, text: str, quick_replies: Sequence[dict] = (),
                  data: Optional[dict] = None, agent_id: Optional[int] = None, to_shopper: bool = True) -> Message:
        message = self.store.add_message(conversation.id, sender, text, quick_replies, data=data, agent_id=agent_id)
        await self.bus.publish(events.MessageStored(conversation.id, message, to_shopper))
        return message

    async def say_all(self, conversation: Conversation, drafts: Sequence[Draft], turn: Optional[TurnRecord] = None,
                      to_shopper: bool = True) -> List[Message]:
        """Several messages (the assistant's replies of one turn, with what it made of the shopper's
        message: `turn`): all stored in one transaction, then delivered in order."""
        if not drafts:
            if turn is not None:
                self.store.record_turn(turn.message_id, turn.intent, turn.understood, turn.reason, turn.answered)
            return []
        messages, stored_in = self.store.add_messages(conversation.id, drafts, turn)
        for message in messages:
            await self.bus.publish(events.MessageStored(conversation.id, message, to_shopper, stored_in))
        return messages

    async def system_message(self, conversation: Conversation, key: str, quick_replies: Sequence[dict] = (),
                             **params: Any) -> Message:
        return await self.say(conversation, "system", texts.say(key, conversation.language, **params), quick_replies)

    def set_customer(self, conversation_id: str, customer_id: int) -> Conversation:
        """The shopper is a known customer now; their marketing choice in the widget reaches the shop."""
        conversation = self.store.update_conversation(conversation_id, customer_id=customer_id)
        apply_pending_marketing_consent(self.store.session, self.shop_sessions, conversation_id, customer_id)
        return conversation

    # --- to people and back ----------------------------------------------------------------
    def enqueue(self, conversation: Conversation, reason: str, segments: Sequence[str] = (),
                ahead: bool = False) -> Conversation:
        """Into the queue (the caller tells the shopper, then publishes `queued`); a customer whose
        segment goes ahead waits with those put back at the front."""
        self.store.open_handoff(conversation.id, reason, conversation.frustration or 0.0)
        return self.store.update_conversation(conversation.id, state="queued", reason=reason, segments=list(segments),
                                              queued_at=self.clock.now(), queue_priority=0 if ahead else 1,
                                              awaiting=None)

    async def queued(self, conversation: Conversation) -> None:
        await self.bus.publish(events.StateChanged(conversation.id, "queued"))
        await self.bus.publish(events.Queued(conversation.id))

    async def open_ticket(self, conversation: Conversation, reason: str, email: Optional[str]) -> None:
        """Outside support hours: the request is kept for people. The ticket itself is opened once
        there is an address to answer to (bot/desk/ticket_desk.py); until then the e-mail is asked for."""
        self.store.open_handoff(conversation.id, reason, conversation.frustration or 0.0, status="ticket",
                                ticket_email=email)
        if not email:
            self.store.update_conversation(conversation.id, awaiting="ticket_email")
            await self.system_message(conversation, "after_hours_ask_email")
        await self.bus.publish(events.StateChanged(conversation.id, "ticket"))

    async def queue_to_ticket(self, conversation: Conversation, email: Optional[str]) -> None:
        """Support closed while the shopper waited and nobody is left to answer: the waiting handoff
        becomes a ticket (reports count it as queued-then-ticketed); the e-mail is asked for when not known."""
        handoff = self.store.current_handoff(conversation.id)
        if handoff:
            self.store.update_handoff(handoff.id, event="ticketed", status="ticket", ticket_email=email)
        # Like an after-hours request: the assistant is back for anything else (Rasa resumes).
        self.store.update_conversation(conversation.id, state="bot", queued_at=None, queue_priority=1,
                                       awaiting=None if email else "ticket_email")
        if not email:
            await self.system_message(conversation, "queue_closed_ask_email")
        await self.bus.publish(events.BackToAssistant(conversation.id))
        await self.bus.publish(events.StateChanged(conversation.id, "ticket"))
        await self.bus.publish(events.QueueChanged("ticketed"))

    def claim(self, conversation_id: str, agent_id: int, max_chats: int) -> Conversation:
        """One conditional UPDATE: of two agents accepting at once, exactly one gets the chat, and
        never past the agent's limit (also when they accept on two bridges at once)."""
        refusal = self.store.claim(conversation_id, agent_id, max_chats)
        if refusal == "chat_limit":
            raise DeskError("chat_limit", max_chats=max_chats)
        if refusal:
            raise DeskError("not_waiting")
        handoff = self.store.current_handoff(conversation_id)
        if handoff:  # after a transfer the first acceptance still counts for the handling time
            self.store.update_handoff(handoff.id, event="accepted", by=agent_id, status="active", agent_id=agent_id,
                                      accepted_at=handoff.accepted_at or self.clock.now())
        return self.store.conversation(conversation_id)

    async def joined(self, conversation: Conversation, agent_name: str) -> None:
        await self.system_message(conversation, "agent_joined", agent=agent_name)
        await self.bus.publish(events.StateChanged(conversation.id, "agent"))

    async def requeue_front(self, conversation: Conversation, event: str, agent_id: Optional[int],
                            only_from: Optional[int] = None, say: Optional[str] = None) -> bool:
        """Back to the queue's front (a transfer, a lost agent): the handoff goes on. With `only_from`
        only while that agent still has the chat (one conditional UPDATE: two bridges re-queueing a
        lost agent's chat do it once); False when it was no longer theirs. `say`: a system line the
        shopper reads before their new status."""
        values = dict(state="queued", agent_id=None, queue_priority=0,
                      queued_at=conversation.queued_at or self.clock.now())
        if only_from is not None:
            if not self.store.unclaim(conversation.id, only_from, values):
                return False
        else:
            self.store.update_conversation(conversation.id, **values)
        handoff = self.store.current_handoff(conversation.id)
        if handoff:
            self.store.update_handoff(handoff.id, event=event, by=agent_id, status="queued", agent_id=None)
        if say:
            await self.system_message(conversation, say)
        await self.bus.publish(events.StateChanged(conversation.id, "queued"))
        return True

    async def release(self, conversation: Conversation, agent_id: Optional[int], status: str,
                      tags: Sequence[str] = (), note: str = "") -> None:
        """An agent's chat goes back to the assistant: the handoff ends."""
        handoff = self.store.current_handoff(conversation.id)
        if handoff:
            self.store.update_handoff(handoff.id, event=status, by=agent_id, status=status,
                                      closed_at=self.clock.now(), resolution_tags=list(tags), close_note=note or None)
        self.store.update_conversation(conversation.id, state="bot", agent_id=None, queued_at=None, queue_priority=1,
                                       awaiting=None)
        await self.bus.publish(events.BackToAssistant(conversation.id))
        await self.bus.publish(events.StateChanged(conversation.id, "bot"))
        await self.bus.publish(events.Released(conversation.id, conversation.agent_id, status))
        await self.bus.publish(events.QueueChanged("released"))

    async def unqueue(self, conversation: Conversation, event: str, text_key: Optional[str], note: str = "") -> None:
        """A waiting chat leaves the queue without an agent: the assistant is back, or the shopper ended it."""
        handoff = self.store.current_handoff(conversation.id)
        if handoff:
            status = "closed" if event == SHOPPER_ENDED else "handed_back"
            self.store.update_handoff(handoff.id, event=event, status=status, closed_at=self.clock.now(),
                                      close_note=note or None)
        self.store.update_conversation(conversation.id, state="bot", agent_id=None, queued_at=None, queue_priority=1)
        await self.bus.publish(events.OfferCancelled(conversation.id))
        await self.bus.publish(events.BackToAssistant(conversation.id))
        if text_key:
            await self.system_message(conversation, text_key)
        await self.bus.publish(events.StateChanged(conversation.id, "bot"))
        await self.bus.publish(events.QueueChanged("unqueued"))

    async def end(self, conversation_id: str, language: str) -> bool:
        """"End chat": the conversation ends for good; a person or the queue that held it lets it go
        as if the agent had closed it (no rating asked: nobody is there to answer). False when it
        had already ended."""
        conversation = self.store.conversation(conversation_id) or self.store.create_conversation(language, conversation_id)
        if conversation.ended_at is not None:
            return False
        if conversation.state in ("agent", "queued"):
            text = texts.say(SHOPPER_ENDED, conversation.language)
            await self.say(conversation, "system", text, to_shopper=False)  # their devices are reset
            if conversation.state == "agent":
                await self.release(conversation, None, "closed", note=text)
            else:
                await self.unqueue(conversation, SHOPPER_ENDED, None, note=text)
        self.store.update_conversation(conversation_id, ended_at=self.clock.now(), awaiting=None)
        await self.bus.publish(events.Ended(conversation_id))
        return True
