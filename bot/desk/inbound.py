"""A shopper's checked message: stored first (or kept while the database is down), then answered
by whoever has the chat: the bridge itself (an awaited answer), the agent, the queue or the
assistant. Also the decision to hand over (frustration, the assistant's signals, outages).

Called under the conversation's lock (bot/desk/shoppers.py).
"""
from __future__ import annotations

import logging
from collections import Counter
from typing import Any, Dict, List, Optional

from sqlalchemy.exc import SQLAlchemyError

from bot import contract
from bot.desk import events, texts
from bot.desk.assistant_turn import Assistant, Turn
from bot.desk.clock import Clock
from bot.desk.conversations import Conversations
from bot.desk.ticket_desk import TicketDesk
from bot.desk.models import Conversation, Message
from bot.desk.segments import goes_ahead
from bot.desk.store import Draft, TurnRecord
from bot.desk.panels import Panels
from bot.desk.rasa_client import RasaUnavailable
from bot.desk.surveys import Surveys, answers, contact_reason
from bot.patterns import EMAIL
from bot.studio.inbox import record_missed
from bot.tickets.sla import SupportCalendar

log = logging.getLogger(__name__)
SCORED_HISTORY = 10  # the shopper's earlier messages the frustration scorer reads (repetition, rising anger)


class ShopperMessages:
    def __init__(self, conversations: Conversations, assistant: Assistant, surveys: Surveys, panels: Panels,
                 customers: Any, scorer: Any, hours: SupportCalendar, clock: Clock, bus: events.EventBus,
                 tickets: TicketDesk):
        self.conversations = conversations
        self.tickets = tickets
        self.store = conversations.store
        self.assistant = assistant
        self.surveys = surveys
        self.panels = panels
        self.customers = customers
        self.scorer = scorer
        self.hours = hours
        self.clock = clock
        self.bus = bus
        self.failures: Counter = Counter()  # the assistant's misses per conversation (frustration)
        self.scores: Dict[str, List[float]] = {}

    def forget(self, conversation_id: str) -> None:
        """The conversation's frustration memory (its last socket left, a person took it, it ended)."""
        self.failures.pop(conversation_id, None)
        self.scores.pop(conversation_id, None)

    async def on_back_to_assistant(self, event: events.BackToAssistant) -> None:
        self.forget(event.conversation_id)

    async def on_ended(self, event: events.Ended) -> None:
        self.forget(event.conversation_id)

    # --- receiving -------------------------------------------------------------------------
    async def receive(self, conversation_id: str, text: str, metadata: Dict[str, Any], language: str,
                      client_address: Optional[str] = None) -> None:
        stored_metadata = {k: v for k, v in metadata.items() if k != "customer_token"}  # never keep credentials
        try:
            conversation = self.store.conversation(conversation_id)
            if conversation is None:
                conversation = self.store.create_conversation(metadata.get("language", language), conversation_id)
            conversation = self._learn_from_metadata(conversation, metadata)
            # The conversation as storing the message left it (its contact), and the scorer's history,
            # read in the message's transaction.
            message, conversation, history = self.store.add_shopper_message(
                conversation.id, text, data=stored_metadata or None, history=SCORED_HISTORY)
        except SQLAlchemyError:
            log.exception("database unavailable; keeping the message of %s in the spool", conversation_id)
            await self.bus.publish(events.MessageNotStored(conversation_id, text, stored_metadata,
                                                           metadata.get("language", language)))
            return
        # The agent holding the chat reads it (who holds it: as the message's transaction read it).
        await self.bus.publish(events.MessageStored(conversation.id, message, conversation=conversation))
        if conversation.awaiting and await self._answer_awaited(conversation, message.text):
            return
        if conversation.state == "queued":
            await self.conversations.system_message(conversation, "still_queued",
                                                    position=self.panels.position(conversation.id))
            await self.bus.publish(events.QueueChanged("shopper wrote"))
        elif conversation.state == "bot":
            await self._to_assistant(conversation, message, history, {**metadata, "client_address": client_address})

    def _learn_from_metadata(self, conversation: Conversation, metadata: Dict[str, Any]) -> Conversation:
        from actions.verification import customer_from_token  # the actions' signed storefront token

        language = metadata.get("language")
        if language in ("tr", "en") and language != conversation.language:
            conversation = self.store.update_conversation(conversation.id, language=language)
        customer_id = customer_from_token(metadata)
        if customer_id is not None and customer_id != conversation.customer_id:
            conversation = self.conversations.set_customer(conversation.id, customer_id)
        return conversation

    async def _answer_awaited(self, conversation: Conversation, text: str) -> bool:
        """Rating, its comment and the e-mail for an after-hours ticket are answered to the bridge."""
        survey_answer = await self.surveys.answer(conversation, text)
        if survey_answer is not None:
            return survey_answer
        awaiting = conversation.awaiting
        if awaiting not in ("ticket_email", "ticket_email_again"):
            return False
        handoff = self.store.current_ticket(conversation.id)
        match = EMAIL.search(text)
        if match and handoff:
            email = match.group(0).lower()
            self.store.update_handoff(handoff.id, ticket_email=email)
            await self.tickets.after_hours(conversation, email)  # first: a failure leaves the question open
            self.store.update_conversation(conversation.id, awaiting=None)
        elif texts.is_cancel(text) or handoff is None:
            self.store.update_conversation(conversation.id, awaiting=None)
            await self.conversations.system_message(conversation, "ticket_cancelled")
        elif awaiting == "ticket_email":
            self.store.update_conversation(conversation.id, awaiting="ticket_email_again")
            await self.conversations.system_message(conversation, "ask_email_again")
        else:  # asked twice: the shopper wants something else, the assistant answers
            self.store.update_conversation(conversation.id, awaiting=None)
            return False
        return True

    # --- the assistant ---------------------------------------------------------------------
    async def _to_assistant(self, conversation: Conversation, message: Message, history: List[str],
                            metadata: Dict[str, Any]) -> None:
        if self._score(conversation, message.text, history).escalate:
            await self.escalate(conversation, "frustration")
            return
        await self.bus.publish(events.Typing(conversation.id, "bot", True))
        try:
            turn = await self.assistant.take_turn(conversation.id, message.text,
                                                  {**metadata, "language": conversation.language, "live_chat": True},
                                                  on_busy=lambda: self._busy_notice(conversation))
        except RasaUnavailable as error:
            log.warning("Rasa unavailable for %s: %s", conversation.id, error)
            await self.bus.publish(events.Typing(conversation.id, "bot", False))
            await self.conversations.system_message(conversation, "assistant_unavailable")
            await self.bus.publish(events.PartFailed("assistant_unavailable"))
            await self.escalate(conversation, "assistant_unavailable")
            return
        await self._deliver_turn(conversation, message, turn)

    async def _busy_notice(self, conversation: Conversation) -> None:
        """The turn waits for a busy Rasa: the shopper is told, once, that the answer is coming."""
        await self.conversations.say(conversation, "system", texts.say(texts.ASSISTANT_BUSY, conversation.language),
                                     data={texts.NOTICE: texts.ASSISTANT_BUSY})
        await self.bus.publish(events.Typing(conversation.id, "bot", True))  # the assistant is still on it

    async def _deliver_turn(self, conversation: Conversation, message: Message, turn: Turn) -> None:
        escalation = turn.escalation
        if turn.failed_to_help:
            self.failures[conversation.id] += 1
        for code in turn.opened_tickets:  # the action server opened a ticket: an owner is found now
            await self.bus.publish(events.TicketOpenedByAssistant(conversation.id, code))
        for alert in turn.proof_alerts:  # an order's proofs are being guessed
            await self.bus.publish(events.AgentAlert({"kind": "proof_alert", "conversation_id": conversation.id,
                                                      **alert.fields()}))
        record = self._learn_from_turn(conversation, message, turn, escalating=bool(escalation))
        stored_signals = turn.stored_signals()
        drafts = []
        for reply in turn.replies:
            if reply.custom and not reply.text:
                continue
            quick_replies = reply.quick_replies
            if escalation:  # a person is coming: no button that asks for one
                quick_replies = [q for q in quick_replies if q["payload"] not in contract.HUMAN_BUTTON_PAYLOADS]
            text = reply.text or (reply.image or "")
            if text or quick_replies:
                drafts.append(Draft("bot", text, quick_replies, data=stored_signals))
        # The turn's record and replies in one transaction, all stored before the first is delivered.
        await self.conversations.say_all(conversation, drafts, turn=record)
        if not turn.replies:
            await self.bus.publish(events.Typing(conversation.id, "bot", False))
        if escalation:
            await self.bus.publish(events.PartFailed(escalation))
            await self.escalate(conversation, escalation)
        else:
            await self.bus.publish(events.AssistantAnswered(conversation.id, turn.intent))

    def _learn_from_turn(self, conversation: Conversation, message: Message, turn: Turn, escalating: bool) -> TurnRecord:
        """For the reports: what the shopper wanted, and whether the assistant answered it (stored
        with the replies); what it did not understand also goes to the editors' inbox."""
        intent, understood = turn.intent, turn.understood
        recognised = understood or intent == "out_of_scope"  # not understood, still a reason for the contact
        if not understood:
            record_missed(self.store.session, message, turn.nlu, conversation.language)
        return TurnRecord(message.id, intent, understood, reason=contact_reason(intent) if recognised else None,
                          answered=answers(intent) and understood and not escalating, contact_id=message.contact_id)

    def _score(self, conversation: Conversation, text: str, history: List[str]):
        """`history`: the shopper's SCORED_HISTORY texts before this one, oldest first."""
        frustration = self.scorer.score(text, history=history, bot_failures=self.failures[conversation.id],
                                        previous_scores=self.scores.get(conversation.id, []))
        self.scores.setdefault(conversation.id, []).append(frustration.score)
        if frustration.score > (conversation.frustration or 0):  # the conversation keeps its highest score
            self.store.update_conversation(conversation.id, frustration=frustration.score, signals=list(frustration.signals))
        return frustration

    # --- handing over ----------------------------------------------------------------------
    async def escalate(self, conversation: Conversation, reason: str) -> None:
        """To a person: the queue in support hours, a ticket answered by e-mail outside them."""
        conversation = self.store.conversation(conversation.id)
        if conversation.state != "bot":
            return
        conversation = await self._identify_customer(conversation)
        if not self.hours.is_open(self.clock.now()):
            email = self.customers.email(conversation.customer_id)
            await self.conversations.open_ticket(conversation, reason, email)
            if email:
                await self.tickets.after_hours(conversation, email)
            return
        segments = self.customers.segments(conversation.customer_id)
        conversation = self.conversations.enqueue(conversation, reason, segments,
                                                  ahead=goes_ahead(segments, self.customers.rules))
        position = self.panels.position(conversation.id)
        key = "queued" if self.panels.agents_for(conversation.language) else "queued_no_agent"
        minutes = max(1, round(self.panels.wait_seconds(position, conversation.language) / 60))
        await self.conversations.system_message(conversation, key, position=position, minutes=minutes)
        await self.conversations.queued(conversation)

    async def _identify_customer(self, conversation: Conversation) -> Conversation:
        """A shopper who proved an order to the assistant is that order's customer for the agent."""
        if conversation.customer_id is not None:
            return conversation
        try:
            slots = await self.assistant.slots(conversation.id)
        except RasaUnavailable:
            return conversation
        customer_id = self.customers.customer_of_order(slots.get("verified_order_no"))
        return conversation if customer_id is None else self.conversations.set_customer(conversation.id, customer_id)
