"""The desk: who talks to each shopper (the assistant, the queue or an agent) and every move
between them. Messages are stored before they are delivered.

The socket namespaces (shoppers.py, agents.py) validate input and call these methods; this
module emits to both audiences through python-socketio's server.
"""
from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from typing import Any, Dict, List, Optional, Sequence

import socketio
from sqlalchemy.exc import SQLAlchemyError

from bot.desk import texts
from bot.desk.customers import CustomerDirectory
from bot.desk.hours import SupportHours
from bot.desk.models import Conversation, Message
from bot.desk.presence import Offer, OnlineAgent, Presence
from bot.desk.rasa_client import BotReply, RasaClient, RasaUnavailable, nlu_reading, understood as understood_reading
from bot.desk.recovery import Recovery
from bot.desk.spool import Spool
from bot.desk.routing import estimated_wait_seconds, pick_agent
from bot.desk.store import DeskStore, utcnow
from bot.desk.surveys import Surveys, answers, contact_reason
from bot.desk.views import bot_uttered, message_view, summary_view
from bot.patterns import EMAIL
from bot.privacy.consent import apply_pending_marketing_consent
from bot.settings import Settings
from bot.studio.inbox import record_missed

log = logging.getLogger(__name__)

SHOPPERS, AGENTS = "/", "/agents"
# The assistant's own signals after which a person takes over without asking again.
ESCALATING_OFFERS = {"repeated_fallback", "assistant_failed", "verification_locked", "store_unavailable"}
HUMAN_BUTTON_PAYLOADS = {"Müşteri temsilcisiyle görüşmek istiyorum", "I want to talk to an agent"}


class DeskError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def agent_room(agent_id: int) -> str:
    return f"agent:{agent_id}"


class Desk:
    def __init__(self, settings: Settings, store: DeskStore, rasa: RasaClient, sio: socketio.AsyncServer,
                 customers: CustomerDirectory, scorer: Any):
        self.settings = settings
        self.store = store
        self.rasa = rasa
        self.sio = sio
        self.customers = customers
        self.scorer = scorer
        self.hours = SupportHours.parse(settings.support_hours)
        self.presence = Presence()
        self.failures: Counter = Counter()  # the assistant's misses per conversation (frustration)
        self.scores: Dict[str, List[float]] = {}
        self.unresumed: set = set()  # conversations whose Rasa tracker may still be paused
        self._names: Dict[int, str] = {}
        self._locks: Dict[str, asyncio.Lock] = {}
        self.surveys = Surveys(self)
        self.recovery = Recovery(self, Spool(settings.state_dir / "spool" / "messages.jsonl"))

    def lock(self, conversation_id: str) -> asyncio.Lock:
        """One conversation's shopper messages and agent actions run one at a time."""
        return self._locks.setdefault(conversation_id, asyncio.Lock())

    def forget_lock(self, conversation_id: str) -> None:
        """The shopper's last socket is gone: drop what is kept in memory for the conversation."""
        lock = self._locks.get(conversation_id)
        if lock is not None and lock.locked():
            return  # a message of theirs is still being answered
        self._locks.pop(conversation_id, None)
        self.scores.pop(conversation_id, None)
        self.failures.pop(conversation_id, None)

    # --- start-up ------------------------------------------------------------------------
    async def start(self) -> None:
        """After a restart: agents' chats stay theirs for a grace period, the queue is offered again."""
        for agent_id in {c.agent_id for c in self.store.conversations_in("agent") if c.agent_id}:
            self._start_grace(agent_id)
        await self.recovery.resume_spool()

    def agent_names(self) -> Dict[int, str]:
        if not self._names:
            self._names = {user.id: user.display_name for user in self.store.agents()}
        return self._names

    # --- shopper side --------------------------------------------------------------------
    async def receive(self, conversation_id: str, text: str, metadata: Dict[str, Any], language: str) -> None:
        """A checked shopper message: stored first (or kept in the spool while the database is
        down), then answered. Called under the conversation's lock."""
        stored_metadata = {k: v for k, v in metadata.items() if k != "customer_token"}  # never keep credentials
        try:
            conversation = self.store.conversation(conversation_id)
            if conversation is None:
                conversation = self.store.create_conversation(metadata.get("language", language), conversation_id)
            conversation = self._learn_from_metadata(conversation, metadata)
            message = self.store.add_message(conversation.id, "shopper", text, data=stored_metadata or None)
        except SQLAlchemyError:
            log.exception("database unavailable; keeping the message of %s in the spool", conversation_id)
            await self.recovery.keep_message(conversation_id, text, stored_metadata, metadata.get("language", language))
            return
        await self._answer(self.store.conversation(conversation.id), message, metadata)

    async def _answer(self, conversation: Conversation, message: Message, metadata: Dict[str, Any]) -> None:
        """Whoever has the chat gets the stored message: the bridge itself (an awaited answer),
        the agent, the queue or the assistant."""
        if conversation.awaiting and await self._answer_awaited(conversation, message.text):
            return
        if conversation.state == "agent":
            await self._to_agent(conversation, message)
        elif conversation.state == "queued":
            await self._to_agent_queue(conversation)
        else:
            await self._to_assistant(conversation, message, metadata)

    async def shopper_typing(self, conversation: Conversation, active: bool) -> None:
        if conversation.state == "agent" and conversation.agent_id:
            await self.sio.emit("typing", {"conversation_id": conversation.id, "active": active},
                                room=agent_room(conversation.agent_id), namespace=AGENTS)

    def shopper_history(self, conversation: Conversation) -> Dict[str, Any]:
        names = self.agent_names()
        return {"session_id": conversation.id, "state": conversation.state,
                "messages": [message_view(m, names) for m in self.store.messages(conversation.id, include_notes=False)]}

    def shopper_status(self, conversation: Conversation) -> Dict[str, Any]:
        if conversation.state == "queued":
            position = self._position(conversation.id)
            return {"state": "queued", "position": position, "estimated_wait_seconds": self._wait(position, conversation.language)}
        if conversation.state == "agent":
            return {"state": "agent", "agent_name": self.agent_names().get(conversation.agent_id)}
        return {"state": "bot"}

    def _learn_from_metadata(self, conversation: Conversation, metadata: Dict[str, Any]) -> Conversation:
        from actions.verification import customer_from_token

        changes: Dict[str, Any] = {}
        language = metadata.get("language")
        if language in ("tr", "en") and language != conversation.language:
            changes["language"] = language
        customer_id = customer_from_token(metadata)
        if customer_id is not None and customer_id != conversation.customer_id:
            changes["customer_id"] = customer_id
        conversation = self.store.update_conversation(conversation.id, **changes) if changes else conversation
        if "customer_id" in changes:  # the shopper's marketing choice in the widget reaches the store now
            apply_pending_marketing_consent(self.store.session, self.customers.session, conversation.id, customer_id)
        return conversation

    async def _to_assistant(self, conversation: Conversation, message: Message, metadata: Dict[str, Any]) -> None:
        text = message.text
        frustration = self._score(conversation, text)
        if frustration.escalate:
            await self.escalate(conversation, "frustration")
            return
        await self._emit_shopper(conversation.id, "typing", {"sender": "bot", "active": True})
        try:
            # A leading "/" would make Rasa read the text as an intent with entities.
            await self._resume_if_needed(conversation.id)
            replies = await self.rasa.send(conversation.id, neutralise_commands(text),
                                           {**metadata, "language": conversation.language, "live_chat": True,
                                            "client_address": await self._client_address(conversation.id)})
        except RasaUnavailable as error:
            log.warning("Rasa unavailable for %s: %s", conversation.id, error)
            await self._emit_shopper(conversation.id, "typing", {"sender": "bot", "active": False})
            await self.system_message(conversation, texts.say("assistant_unavailable", conversation.language))
            self.recovery.part_failed("assistant_unavailable")
            await self.escalate(conversation, "assistant_unavailable")
            return
        await self._deliver_replies(conversation, replies, message)

    async def _client_address(self, conversation_id: str) -> Optional[str]:
        """The shopper's address, from a socket of the conversation (bot/desk/shoppers.py keeps it in
        the socket's session): the actions limit guesses of order proofs per address."""
        for sid, _ in self.sio.manager.get_participants(SHOPPERS, conversation_id):
            try:
                return (await self.sio.get_session(sid, namespace=SHOPPERS)).get("address")
            except KeyError:  # that socket is just gone
                continue
        return None

    async def _deliver_replies(self, conversation: Conversation, replies: Sequence[BotReply], message: Message) -> None:
        signals = [reply.custom for reply in replies if reply.custom and "nlu" not in reply.custom]
        nlu = nlu_reading(replies)
        intent = nlu.get("intent")
        escalation = next((s["handoff_request"].get("reason", "requested") for s in signals if "handoff_request" in s), None)
        escalation = escalation or next((s["handoff_offer"].get("reason") for s in signals
                                         if s.get("handoff_offer", {}).get("reason") in ESCALATING_OFFERS), None)
        missed = any("fallback" in s or s.get("handoff_offer", {}).get("reason") == "repeated_fallback" for s in signals)
        if any("fallback" in s or "handoff_offer" in s for s in signals):
            self.failures[conversation.id] += 1
        for alert in (s["proof_alert"] for s in signals if "proof_alert" in s):  # an order's proofs are being guessed
            await self.sio.emit("alert", {"kind": "proof_alert", "conversation_id": conversation.id, **alert},
                                namespace=AGENTS)
        self._learn_from_turn(conversation, message, intent, understood=not missed and understood_reading(nlu),
                              escalating=bool(escalation), nlu=nlu)
        for reply in replies:
            if reply.custom and not reply.text:
                continue
            quick_replies = reply.quick_replies
            if escalation:  # a person is coming: no button that asks for one
                quick_replies = [q for q in quick_replies if q["payload"] not in HUMAN_BUTTON_PAYLOADS]
            text = reply.text or (reply.image or "")
            if text or quick_replies:
                await self.bot_message(conversation, text, quick_replies, data={"custom": signals} if signals else None)
        if not replies:
            await self._emit_shopper(conversation.id, "typing", {"sender": "bot", "active": False})
        if escalation:
            self.recovery.part_failed(escalation)
            await self.escalate(conversation, escalation)
        else:
            await self.surveys.after_assistant_turn(conversation.id, intent)

    def _learn_from_turn(self, conversation: Conversation, message: Message, intent: Optional[str],
                         understood: bool, escalating: bool, nlu: Optional[Dict[str, Any]] = None) -> None:
        """For the reports: what the shopper wanted, and whether the assistant answered it; what it
        did not understand also goes to the editors' inbox."""
        recognised = understood or intent == "out_of_scope"  # not understood, still a reason for the contact
        self.store.record_turn(message.id, intent, understood, reason=contact_reason(intent) if recognised else None,
                               answered=answers(intent) and understood and not escalating)
        if not understood:
            record_missed(self.store.session, message, nlu or {}, conversation.language)

    def _score(self, conversation: Conversation, text: str):
        history = self.store.shopper_texts(conversation.id, limit=11)[:-1]  # without the message itself
        frustration = self.scorer.score(text, history=history, bot_failures=self.failures[conversation.id],
                                        previous_scores=self.scores.get(conversation.id, []))
        self.scores.setdefault(conversation.id, []).append(frustration.score)
        if frustration.score > (conversation.frustration or 0):  # the conversation keeps its highest score
            self.store.update_conversation(conversation.id, frustration=frustration.score, signals=list(frustration.signals))
        return frustration

    async def _answer_awaited(self, conversation: Conversation, text: str) -> bool:
        """Rating, its comment and the e-mail for an after-hours ticket are answered to the bridge."""
        language, awaiting = conversation.language, conversation.awaiting
        survey_answer = await self.surveys.answer(conversation, text)
        if survey_answer is not None:
            return survey_answer
        if awaiting in ("ticket_email", "ticket_email_again"):
            handoff = self.store.current_ticket(conversation.id)
            match = EMAIL.search(text)
            if match and handoff:
                self.store.update_handoff(handoff.id, ticket_email=match.group(0).lower())
                self.store.update_conversation(conversation.id, awaiting=None)
                await self.system_message(conversation, texts.say("after_hours_email", language, email=match.group(0).lower()))
            elif text.strip().lower() in texts.CANCEL_WORDS or handoff is None:
                self.store.update_conversation(conversation.id, awaiting=None)
                await self.system_message(conversation, texts.say("ticket_cancelled", language))
            elif awaiting == "ticket_email":
                self.store.update_conversation(conversation.id, awaiting="ticket_email_again")
                await self.system_message(conversation, texts.say("ask_email_again", language))
            else:  # asked twice: the shopper wants something else, the assistant answers
                self.store.update_conversation(conversation.id, awaiting=None)
                return False
            return True
        return False

    # --- escalation ----------------------------------------------------------------------
    async def escalate(self, conversation: Conversation, reason: str) -> None:
        conversation = self.store.conversation(conversation.id)
        if conversation.state != "bot":
            return
        await self._identify_customer(conversation)
        conversation = self.store.conversation(conversation.id)
        if not self.hours.is_open(utcnow()):
            await self._after_hours_ticket(conversation, reason)
            return
        self.store.open_handoff(conversation.id, reason, conversation.frustration or 0.0)
        conversation = self.store.update_conversation(conversation.id, state="queued", reason=reason, queued_at=utcnow(),
                                                      queue_priority=1, awaiting=None)
        position = self._position(conversation.id)
        agents = self.agents_for(conversation.language)
        key = "queued" if agents else "queued_no_agent"
        minutes = max(1, round(self._wait(position, conversation.language) / 60))
        await self.system_message(conversation, texts.say(key, conversation.language, position=position, minutes=minutes))
        await self._emit_shopper(conversation.id, "handoff_status", self.shopper_status(conversation))
        await self.dispatch()
        try:  # after the offer: a person should not wait for Rasa's bookkeeping
            await self.rasa.pause(conversation.id)
        except RasaUnavailable:
            pass  # the bridge owns the conversation either way
        if self.store.conversation(conversation.id).state == "bot":  # already back with the assistant
            self.unresumed.add(conversation.id)

    async def _identify_customer(self, conversation: Conversation) -> None:
        if conversation.customer_id is not None:
            return
        slots = await self.rasa.slots(conversation.id)
        customer_id = self.customers.customer_of_order(slots.get("verified_order_no"))
        if customer_id is not None:
            self.store.update_conversation(conversation.id, customer_id=customer_id)
            apply_pending_marketing_consent(self.store.session, self.customers.session, conversation.id, customer_id)

    async def _after_hours_ticket(self, conversation: Conversation, reason: str) -> None:
        email = self.customers.email(conversation.customer_id)
        self.store.open_handoff(conversation.id, reason, conversation.frustration or 0.0, status="ticket", ticket_email=email)
        language = conversation.language
        if email:
            await self.system_message(conversation, texts.say("after_hours_email", language, email=email))
        else:
            self.store.update_conversation(conversation.id, awaiting="ticket_email")
            await self.system_message(conversation, texts.say("after_hours_ask_email", language))
        await self._emit_shopper(conversation.id, "handoff_status", {"state": "ticket"})

    # --- routing -------------------------------------------------------------------------
    async def dispatch(self) -> None:
        """Offers each waiting chat, in queue order, to the best free agent."""
        chats = self._chats_per_agent()
        for conversation in self.store.conversations_in("queued"):
            if conversation.id in self.presence.offers:
                continue
            agent_id = pick_agent(self.presence.loads(chats), conversation.language,
                                  skip=tuple(self.presence.passed.get(conversation.id, ())),
                                  prefer=self.presence.preferred.get(conversation.id))
            if agent_id is None:
                continue
            await self._offer(conversation, agent_id)
        await self.broadcast_desk()
        await self._update_queue_positions()

    async def _offer(self, conversation: Conversation, agent_id: int) -> None:
        current = self.store.conversation(conversation.id)  # an earlier await may have changed it
        if current.state != "queued" or conversation.id in self.presence.offers:
            return
        timeout = self.settings.offer_timeout_seconds
        timer = asyncio.create_task(self._expire_offer(conversation.id, agent_id, timeout))
        self.presence.offers[conversation.id] = Offer(conversation.id, agent_id, timer)
        handoff = self.store.current_handoff(conversation.id)
        if handoff:
            self.store.update_handoff(handoff.id, event="offered", by=agent_id)
        await self.sio.emit("offer", {"conversation": self.summary(conversation), "expires_in_seconds": timeout},
                            room=agent_room(agent_id), namespace=AGENTS)

    async def _expire_offer(self, conversation_id: str, agent_id: int, timeout: float) -> None:
        await asyncio.sleep(timeout)
        offer = self.presence.offers.get(conversation_id)
        if offer is None or offer.agent_id != agent_id:
            return
        await self._pass(conversation_id, agent_id, "offer_expired")

    async def _pass(self, conversation_id: str, agent_id: int, event: str) -> None:
        self.presence.withdraw(conversation_id)
        self.presence.passed.setdefault(conversation_id, set()).add(agent_id)
        self.presence.preferred.pop(conversation_id, None)
        handoff = self.store.current_handoff(conversation_id)
        if handoff:
            self.store.update_handoff(handoff.id, event=event, by=agent_id)
        await self.sio.emit("offer_withdrawn", {"conversation_id": conversation_id}, room=agent_room(agent_id), namespace=AGENTS)
        if self._everyone_passed(conversation_id):
            self.presence.passed.pop(conversation_id, None)  # go round again rather than strand the shopper
        await self.dispatch()

    def _everyone_passed(self, conversation_id: str) -> bool:
        """Every agent who could take the chat right now has let it pass."""
        conversation = self.store.conversation(conversation_id)
        passed = self.presence.passed.get(conversation_id, set())
        chats = self._chats_per_agent()
        return all(load.agent_id in passed for load in self.presence.loads(chats)
                   if conversation and load.available and conversation.language in load.languages
                   and load.load < load.max_chats)

    # --- agent side ----------------------------------------------------------------------
    async def agent_connected(self, agent: OnlineAgent) -> None:
        await self.dispatch()

    async def agent_disconnected(self, agent_id: int) -> None:
        for conversation_id in self.presence.offers_to(agent_id):
            self.presence.withdraw(conversation_id)
        self._start_grace(agent_id)
        await self.dispatch()

    def _start_grace(self, agent_id: int) -> None:
        if agent_id not in self.presence.online and agent_id not in self.presence.grace:
            self.presence.grace[agent_id] = asyncio.create_task(self._requeue_after_grace(agent_id))

    async def _requeue_after_grace(self, agent_id: int) -> None:
        await asyncio.sleep(self.settings.agent_grace_seconds)
        self.presence.grace.pop(agent_id, None)
        if agent_id in self.presence.online:
            return
        for conversation in self.store.conversations_in("agent", agent_id=agent_id):
            async with self.lock(conversation.id):
                if self.store.conversation(conversation.id).agent_id != agent_id:
                    continue
                await self.system_message(conversation, texts.say("agent_lost", conversation.language))
                await self._requeue_front(conversation, "requeued", agent_id)
        await self.dispatch()

    async def _requeue_front(self, conversation: Conversation, event: str, agent_id: int,
                             reason: Optional[str] = None) -> None:
        handoff = self.store.current_handoff(conversation.id)
        if handoff:
            self.store.update_handoff(handoff.id, event=event, by=agent_id, status="queued", agent_id=None)
        self.store.update_conversation(conversation.id, state="queued", agent_id=None, queue_priority=0,
                                       queued_at=conversation.queued_at or utcnow(),
                                       **({"reason": reason} if reason else {}))
        await self._emit_shopper(conversation.id, "handoff_status", self.shopper_status(self.store.conversation(conversation.id)))

    async def accept(self, agent: OnlineAgent, conversation_id: str) -> Dict[str, Any]:
        self._conversation_or_error(conversation_id)
        if self._chats_per_agent().get(agent.user_id, 0) >= agent.max_chats:
            raise DeskError("chat_limit", f"En fazla {agent.max_chats} sohbet yürütebilirsiniz.")
        # One conditional UPDATE: of two agents accepting at once, exactly one gets the chat.
        if not self.store.claim(conversation_id, agent.user_id):
            raise DeskError("not_waiting", "Bu sohbet artık sırada değil.")
        offer = self.presence.offers.get(conversation_id)
        self.presence.forget(conversation_id)
        handoff = self.store.current_handoff(conversation_id)
        if handoff:  # after a transfer the first acceptance still counts for the handling time
            self.store.update_handoff(handoff.id, event="accepted", by=agent.user_id, status="active",
                                      agent_id=agent.user_id, accepted_at=handoff.accepted_at or utcnow())
        conversation = self.store.conversation(conversation_id)
        if offer and offer.agent_id != agent.user_id:
            await self.sio.emit("offer_withdrawn", {"conversation_id": conversation_id},
                                room=agent_room(offer.agent_id), namespace=AGENTS)
        await self.system_message(conversation, texts.say("agent_joined", conversation.language, agent=agent.display_name))
        await self._emit_shopper(conversation_id, "handoff_status", self.shopper_status(conversation))
        await self.dispatch()
        return self.detail(conversation)

    async def decline(self, agent: OnlineAgent, conversation_id: str) -> None:
        offer = self.presence.offers.get(conversation_id)
        if offer is None or offer.agent_id != agent.user_id:
            raise DeskError("no_offer", "Bu sohbet size teklif edilmemiş.")
        await self._pass(conversation_id, agent.user_id, "declined")

    async def agent_send(self, agent: OnlineAgent, conversation_id: str, text: str) -> Dict[str, Any]:
        conversation = self._own_conversation(agent, conversation_id)
        message = self.store.add_message(conversation_id, "agent", text, agent_id=agent.user_id)
        handoff = self.store.current_handoff(conversation_id)
        if handoff and handoff.first_response_at is None:
            self.store.update_handoff(handoff.id, first_response_at=message.created_at)
        await self._emit_shopper(conversation_id, "bot_uttered", bot_uttered(message, agent.display_name))
        view = message_view(message, self.agent_names())
        await self._emit_agents(conversation, "message", {"conversation_id": conversation_id, "message": view})
        return view

    async def agent_note(self, agent: OnlineAgent, conversation_id: str, text: str) -> Dict[str, Any]:
        conversation = self._own_conversation(agent, conversation_id)
        view = message_view(self.store.add_message(conversation_id, "note", text, agent_id=agent.user_id), self.agent_names())
        await self._emit_agents(conversation, "message", {"conversation_id": conversation_id, "message": view})
        return view

    async def agent_typing(self, agent: OnlineAgent, conversation_id: str, active: bool) -> None:
        self._own_conversation(agent, conversation_id)
        await self._emit_shopper(conversation_id, "typing", {"sender": "agent", "active": active, "agent_name": agent.display_name})

    async def transfer(self, agent: OnlineAgent, conversation_id: str, to_agent: int) -> None:
        conversation = self._own_conversation(agent, conversation_id)
        if to_agent == agent.user_id or to_agent not in self.agent_names():
            raise DeskError("bad_target", "Aktarılacak temsilci geçersiz.")
        self.presence.preferred[conversation_id] = to_agent  # before any await, so no dispatch misses it
        self.presence.passed[conversation_id] = {agent.user_id}
        await self._requeue_front(conversation, "transferred", agent.user_id)
        await self.system_message(conversation, texts.say("transferred", conversation.language))
        await self.dispatch()

    async def close(self, agent: OnlineAgent, conversation_id: str, tags: List[str], note: str) -> None:
        conversation = self._own_conversation(agent, conversation_id)
        await self._release(conversation, agent, "closed", tags=tags, note=note)
        contact = self.surveys.csat_due(conversation)
        if contact is not None:  # CSAT once per contact
            await self.surveys.ask_csat(conversation, contact, "closed")
        else:
            await self.system_message(conversation, texts.say("closed_no_survey", conversation.language))

    async def hand_back(self, agent: OnlineAgent, conversation_id: str) -> None:
        conversation = self._own_conversation(agent, conversation_id)
        await self._release(conversation, agent, "handed_back")
        await self.system_message(conversation, texts.say("handed_back", conversation.language))

    async def _release(self, conversation: Conversation, agent: OnlineAgent, status: str,
                       tags: Sequence[str] = (), note: str = "") -> None:
        """The chat goes back to the assistant: the handoff ends and Rasa is resumed."""
        handoff = self.store.current_handoff(conversation.id)
        if handoff:
            self.store.update_handoff(handoff.id, event=status, by=agent.user_id, status=status, closed_at=utcnow(),
                                      resolution_tags=list(tags), close_note=note or None)
        self.store.update_conversation(conversation.id, state="bot", agent_id=None, queued_at=None, queue_priority=1,
                                       awaiting=None)
        self.failures.pop(conversation.id, None)
        self.scores.pop(conversation.id, None)
        self.unresumed.add(conversation.id)
        await self._resume_if_needed(conversation.id)
        await self._emit_shopper(conversation.id, "handoff_status", {"state": "bot"})
        await self._emit_agents(conversation, "conversation_closed", {"conversation_id": conversation.id})
        await self.dispatch()

    async def unqueue(self, conversation: Conversation, text_key: str) -> None:
        """A waiting chat goes back to the assistant without an agent (e.g. the assistant is back)."""
        handoff = self.store.current_handoff(conversation.id)
        if handoff:
            self.store.update_handoff(handoff.id, event="back_to_assistant", status="handed_back", closed_at=utcnow())
        self.store.update_conversation(conversation.id, state="bot", agent_id=None, queued_at=None, queue_priority=1)
        self.presence.forget(conversation.id)
        self.unresumed.add(conversation.id)
        await self._resume_if_needed(conversation.id)
        await self.system_message(conversation, texts.say(text_key, conversation.language))
        await self._emit_shopper(conversation.id, "handoff_status", {"state": "bot"})
        await self.broadcast_desk()

    async def _resume_if_needed(self, conversation_id: str) -> None:
        """A failed resume is retried before the next message goes to Rasa (a paused tracker answers nothing)."""
        if conversation_id not in self.unresumed:
            return
        try:
            await self.rasa.resume(conversation_id)
            self.unresumed.discard(conversation_id)
        except RasaUnavailable:
            log.warning("Could not resume Rasa for %s yet; trying again with the next message", conversation_id)

    # --- views for agents ----------------------------------------------------------------
    def summary(self, conversation: Conversation) -> Dict[str, Any]:
        return summary_view(conversation, self.agent_names(), self.customers.name(conversation.customer_id),
                            self.store.last_shopper_text(conversation.id))

    def detail(self, conversation: Conversation) -> Dict[str, Any]:
        names = self.agent_names()
        context = self.customers.context(conversation.customer_id)
        context["earlier_conversations"] = (self.store.earlier_conversations(conversation.customer_id, conversation.id)
                                            if conversation.customer_id else [])
        return {**self.summary(conversation), "signals": list(conversation.signals or []), "context": context,
                "messages": [message_view(m, names) for m in self.store.messages(conversation.id, include_notes=True)]}

    def open_for(self, agent: OnlineAgent, conversation_id: str) -> Dict[str, Any]:
        conversation = self._conversation_or_error(conversation_id)
        if conversation.state not in ("queued", "agent") and agent.role != "admin":
            raise DeskError("not_available", "Bu sohbet açık değil.")
        if conversation.state == "agent" and conversation.agent_id != agent.user_id and agent.role != "admin":
            raise DeskError("not_yours", "Bu sohbet başka bir temsilcide.")
        return self.detail(conversation)

    def desk_state(self, agent: OnlineAgent) -> Dict[str, Any]:
        chats = self._chats_per_agent()
        return {
            "me": agent.me(),
            "queue": [self.summary(c) for c in self.store.conversations_in("queued")],
            "chats": [self.summary(c) for c in self.store.conversations_in("agent", agent_id=agent.user_id)],
            "agents": [{"id": user.id, "display_name": user.display_name,
                        "online": user.id in self.presence.online,
                        "available": user.id in self.presence.online and self.presence.online[user.id].available,
                        "load": chats.get(user.id, 0), "max_chats": user.max_chats, "languages": list(user.languages or [])}
                       for user in self.store.agents()],
        }

    async def broadcast_desk(self) -> None:
        for agent in list(self.presence.online.values()):
            await self.sio.emit("desk", self.desk_state(agent), room=agent_room(agent.user_id), namespace=AGENTS)

    # --- helpers -------------------------------------------------------------------------
    async def bot_message(self, conversation: Conversation, text: str, quick_replies: Sequence[dict] = (),
                          data: Optional[dict] = None) -> Message:
        return await self._say(conversation, "bot", text, quick_replies, data)

    async def system_message(self, conversation: Conversation, text: str, quick_replies: Sequence[dict] = ()) -> Message:
        return await self._say(conversation, "system", text, quick_replies, None)

    async def emit_unstored(self, conversation_id: str, text: str) -> None:
        """A system message that cannot be stored (the database is down): delivered only."""
        message = Message(conversation_id=conversation_id, sender="system", text=text, quick_replies=[], created_at=utcnow())
        await self._emit_shopper(conversation_id, "bot_uttered", bot_uttered(message, None))

    async def _say(self, conversation: Conversation, sender: str, text: str, quick_replies: Sequence[dict],
                   data: Optional[dict]) -> Message:
        message = self.store.add_message(conversation.id, sender, text, quick_replies, data=data)
        await self._emit_shopper(conversation.id, "bot_uttered", bot_uttered(message, None))
        current = self.store.conversation(conversation.id)
        if current.state == "agent":
            await self._emit_agents(current, "message", {"conversation_id": conversation.id,
                                                         "message": message_view(message, self.agent_names())})
        return message

    async def _to_agent(self, conversation: Conversation, message: Message) -> None:
        await self._emit_agents(conversation, "message", {"conversation_id": conversation.id,
                                                          "message": message_view(message, self.agent_names())})

    async def _to_agent_queue(self, conversation: Conversation) -> None:
        position = self._position(conversation.id)
        await self.system_message(conversation, texts.say("still_queued", conversation.language, position=position))
        await self.broadcast_desk()

    async def _update_queue_positions(self) -> None:
        for conversation in self.store.conversations_in("queued"):
            await self._emit_shopper(conversation.id, "handoff_status", self.shopper_status(conversation))

    async def _emit_shopper(self, conversation_id: str, event: str, payload: Dict[str, Any]) -> None:
        await self.sio.emit(event, payload, room=conversation_id, namespace=SHOPPERS)

    async def _emit_agents(self, conversation: Conversation, event: str, payload: Dict[str, Any]) -> None:
        agent_id = conversation.agent_id or (self.store.conversation(conversation.id).agent_id)
        if agent_id:
            await self.sio.emit(event, payload, room=agent_room(agent_id), namespace=AGENTS)

    def _position(self, conversation_id: str) -> int:
        queue = [c.id for c in self.store.conversations_in("queued")]
        return queue.index(conversation_id) + 1 if conversation_id in queue else 0

    def agents_for(self, language: str) -> List[OnlineAgent]:
        return [a for a in self.presence.online.values() if a.available and language in a.languages]

    def _wait(self, position: int, language: str) -> int:
        return estimated_wait_seconds(position, len(self.agents_for(language)), self.store.mean_handling_seconds())

    def _chats_per_agent(self) -> Dict[int, int]:
        return dict(Counter(c.agent_id for c in self.store.conversations_in("agent") if c.agent_id))

    def _conversation_or_error(self, conversation_id: Any) -> Conversation:
        conversation = self.store.conversation(conversation_id) if isinstance(conversation_id, str) else None
        if conversation is None:
            raise DeskError("unknown_conversation", "Böyle bir sohbet yok.")
        return conversation

    def _own_conversation(self, agent: OnlineAgent, conversation_id: Any) -> Conversation:
        conversation = self._conversation_or_error(conversation_id)
        if conversation.state != "agent" or conversation.agent_id != agent.user_id:
            raise DeskError("not_yours", "Bu sohbet sizde değil.")
        return conversation


def neutralise_commands(text: str) -> str:
    """Rasa reads a message starting with "/" as an intent with entities: never from a shopper."""
    return re.sub(r"^[\s/]+", "", text) or text
