"""Satisfaction surveys in the chat, in the shopper's language.

CSAT (1-5, then an optional comment) at most once per contact: when an agent closes the chat,
or when the shopper thanks or says goodbye after the assistant answered them. NPS (0-10, the
reason asked below 9) right after a good CSAT (4-5) when the contact was about a delivered
order of a known customer, at most once per customer in NPS_INTERVAL_DAYS.

The answers are read by the bridge, not by Rasa (`Conversation.awaiting`); a shopper who writes
something else instead is not asked again and goes on with the assistant.
"""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Awaitable, Callable, Dict, List, Optional

from bot import contract
from bot.desk import events, texts
from bot.desk.clock import Clock
from bot.desk.conversations import Conversations
from bot.desk.models import Contact, Conversation

# Intents after which the assistant has given an answer of substance (plus every faq/<topic>).
ANSWERING_INTENTS = {"order_status", "return_status", "cancel_order", "return_request", "complaint", "ticket_status"}
CLOSING_INTENTS = {"thank", "goodbye"}
# Not a reason to contact a store: these never become a contact's reason.
NOT_A_REASON = {"greet", "goodbye", "thank", "affirm", "deny", "inform", "bot_challenge", "nlu_fallback"}

CSAT = re.compile(r"^\s*([1-5])\s*(?:/\s*5)?\s*[^\w\s]*\s*$")
NPS = re.compile(r"^\s*(10|[0-9])\s*(?:/\s*10)?\s*[^\w\s]*\s*$")


def parse_rating(text: str) -> Optional[int]:
    """"5", "5 😀", "4/5" -> the score; "2 ürünüm eksik geldi" is a message, not a rating."""
    match = CSAT.match(text)
    return int(match.group(1)) if match else None


def parse_nps(text: str) -> Optional[int]:
    match = NPS.match(text)
    return int(match.group(1)) if match else None


def contact_reason(intent: Optional[str]) -> Optional[str]:
    return intent if intent and intent not in NOT_A_REASON else None


def answers(intent: Optional[str]) -> bool:
    return bool(intent) and (intent.startswith("faq/") or intent in ANSWERING_INTENTS)


def buttons(*labels: str) -> List[Dict[str, str]]:
    return [texts.quick_reply(label) for label in labels]


def nps_replies() -> List[Dict[str, str]]:
    return buttons(*(str(score) for score in range(11)))


class Surveys:
    def __init__(self, conversations: Conversations, slots: Callable[[str], Awaitable[Dict[str, Any]]],
                 customers: Any, nps_interval_days: int, clock: Clock):
        self.conversations = conversations
        self.store = conversations.store
        self.slots = slots  # what the assistant knows of the conversation (the proven order)
        self.customers = customers
        self.nps_interval = timedelta(days=nps_interval_days)
        self.clock = clock

    # --- asking --------------------------------------------------------------------------
    def csat_due(self, conversation: Conversation) -> Optional[Contact]:
        """The current contact, if it has not been asked for CSAT yet."""
        contact = self.store.contact(conversation.contact_id)
        return contact if contact is not None and contact.csat_asked_at is None else None

    async def on_assistant_answered(self, event: events.AssistantAnswered) -> None:
        """The shopper thanked or said goodbye after an answer, with no person involved: ask for CSAT."""
        if event.intent not in CLOSING_INTENTS:
            return
        conversation = self.store.conversation(event.conversation_id)
        contact = self.csat_due(conversation)
        if contact is not None and contact.answered and not self.store.contact_has_handoff(contact.id):
            await self.ask_csat(conversation, contact, "ask_csat")

    async def on_closed_by_agent(self, event: events.ClosedByAgent) -> None:
        """CSAT once per contact; a contact already asked only hears that the chat was closed."""
        conversation = self.store.conversation(event.conversation_id)
        contact = self.csat_due(conversation)
        if contact is not None:
            await self.ask_csat(conversation, contact, "closed")
        else:
            await self.conversations.system_message(conversation, "closed_no_survey")

    async def ask_csat(self, conversation: Conversation, contact: Contact, key: str) -> None:
        self.store.update_contact(contact.id, csat_asked_at=self.clock.now())
        await self._ask(conversation, "rating", key, texts.rating_replies())

    # --- answers -------------------------------------------------------------------------
    async def answer(self, conversation: Conversation, text: str) -> Optional[bool]:
        """Handles an awaited survey answer; None when the conversation awaits no survey answer."""
        handlers = {"rating": self._rating, "rating_comment": self._rating_comment,
                    "nps": self._nps, "nps_reason": self._nps_reason}
        handler = handlers.get(conversation.awaiting or "")
        return None if handler is None else await handler(conversation, text)

    async def _rating(self, conversation: Conversation, text: str) -> bool:
        score = self._record(conversation, parse_rating(text), "csat", "csat_asked_at")
        if score is None:
            return False
        await self._ask(conversation, "rating_comment", "ask_comment", buttons(texts.say("no_comment", conversation.language)))
        return True

    async def _rating_comment(self, conversation: Conversation, text: str) -> bool:
        if not texts.is_skip(text):
            self.store.add_rating_comment(conversation.id, text.strip()[:2000], "csat")
        contact = self._asked_contact(conversation, "csat_asked_at")
        last = self.store.last_rating(conversation.id, "csat")
        if contact is not None and last is not None and last.score >= 4 and await self._nps_due(conversation, contact):
            self.store.update_contact(contact.id, nps_asked_at=self.clock.now())
            await self._ask(conversation, "nps", "ask_nps", nps_replies())
        else:
            await self._ask(conversation, None, "thanks_rating")
        return True

    async def _nps(self, conversation: Conversation, text: str) -> bool:
        score = self._record(conversation, parse_nps(text), "nps", "nps_asked_at")
        if score is None:
            return False
        if score >= 9:
            await self._ask(conversation, None, "thanks_nps")
        else:
            await self._ask(conversation, "nps_reason", "ask_nps_reason", buttons(texts.say("skip", conversation.language)))
        return True

    async def _nps_reason(self, conversation: Conversation, text: str) -> bool:
        if not texts.is_skip(text):
            self.store.add_rating_comment(conversation.id, text.strip()[:2000], "nps")
        await self._ask(conversation, None, "thanks_rating")
        return True

    def _record(self, conversation: Conversation, score: Optional[int], kind: str, asked: str) -> Optional[int]:
        """Stores a score (with the contact's handoff, if a person helped); None (not a score)
        means the shopper moved on: no more questions."""
        if score is None:
            self.store.update_conversation(conversation.id, awaiting=None)
            return None
        contact = self._asked_contact(conversation, asked)
        contact_id = contact.id if contact else None
        handoff_id = self.store.last_handoff_id(conversation.id, contact_id) if kind == "csat" and contact_id else None
        self.store.add_rating(conversation.id, score, kind, contact_id=contact_id, handoff_id=handoff_id)
        return score

    async def _ask(self, conversation: Conversation, awaiting: Optional[str], key: str,
                   quick_replies: List[Dict[str, str]] = ()) -> None:
        """Says `key` and waits for the answer `awaiting` (None: the survey is over)."""
        self.store.update_conversation(conversation.id, awaiting=awaiting)
        await self.conversations.system_message(conversation, key, quick_replies)

    # --- NPS eligibility -----------------------------------------------------------------
    async def _nps_due(self, conversation: Conversation, contact: Contact) -> bool:
        """A known customer, a delivered order talked about, and no NPS question in the last 90 days."""
        order_no = contact.order_no or (await self.slots(conversation.id)).get("verified_order_no")
        if not order_no:
            return False
        customer_id = conversation.customer_id or self.customers.customer_of_order(order_no)
        if customer_id is None or self.customers.order_status(order_no) != contract.ORDER_DELIVERED:
            return False
        self.store.update_contact(contact.id, order_no=str(order_no))
        if conversation.customer_id is None:
            self.conversations.set_customer(conversation.id, customer_id)
        return not self.store.nps_asked_since(customer_id, self.clock.now() - self.nps_interval)

    def _asked_contact(self, conversation: Conversation, asked: str) -> Optional[Contact]:
        """The contact the question was asked in (the shopper may answer after a pause)."""
        return self.store.last_contact_where(conversation.id, asked)
