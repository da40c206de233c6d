""""End chat" (Sohbeti bitir) for shared devices: the shopper forgets the session on every side.

The conversation is marked ended (`conversations.ended_at`) and its id is never resumed again (a
later `session_request` with it gets a new id and no history, bot/desk/shoppers.py); Rasa forgets
what it knew for that id, above all the proven order (a `restart` of its tracker); a person who had
the chat, or the queue that held it, lets it go as if the agent had closed it, and the agent reads
that the shopper ended it. The transcript itself stays stored for the shop's records (retention
removes it in time, bot/privacy/retention.py); only the shopper's devices lose it.

Called under the conversation's lock. The namespace tells every socket of the session afterwards.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from bot.desk.models import Conversation
from bot.desk.rasa_client import RasaUnavailable
from bot.desk.store import utcnow
from bot.desk.views import message_view

if TYPE_CHECKING:
    from bot.desk.desk import Desk

log = logging.getLogger(__name__)

SHOPPER_ENDED = {"tr": "Müşteri sohbeti bitirdi.", "en": "The shopper ended the chat."}
# Rasa may be down at that moment: the restart is tried again in the background for a while.
FORGET_RETRY_SECONDS = (5.0, 30.0, 120.0, 600.0)
_retries: set = set()  # the running retry tasks (asyncio keeps only weak references to tasks)


@dataclass(frozen=True)
class NobodyInParticular:
    """Who closes the agent's chat: not an agent (HandoffEvent.agent_id stays empty)."""

    user_id: Optional[int] = None


async def end_conversation(desk: "Desk", conversation_id: str, language: str) -> bool:
    """Ends the conversation (created if it has no message yet, so that its id is remembered as
    ended). False when it had already ended: nothing more happens then."""
    conversation = desk.store.conversation(conversation_id)
    if conversation is None:
        conversation = desk.store.create_conversation(language, conversation_id)
    if conversation.ended_at is not None:
        return False
    if conversation.state == "agent":
        await _close_agent_chat(desk, conversation)
    elif conversation.state == "queued":
        await _leave_queue(desk, conversation)
    desk.store.update_conversation(conversation_id, ended_at=utcnow(), awaiting=None)
    await forget_in_rasa(desk, conversation_id)
    return True


async def _close_agent_chat(desk: "Desk", conversation: Conversation) -> None:
    """The agent's own close path (Desk._release), with no rating asked: nobody is there to answer."""
    text = SHOPPER_ENDED.get(conversation.language, SHOPPER_ENDED["tr"])
    message = desk.store.add_message(conversation.id, "system", text)
    await desk._emit_agents(conversation, "message", {"conversation_id": conversation.id,
                                                      "message": message_view(message, desk.agent_names())})
    await desk._release(conversation, NobodyInParticular(), "closed", note=text)


async def _leave_queue(desk: "Desk", conversation: Conversation) -> None:
    """Out of the queue: an offer out to an agent is withdrawn, the handoff is closed."""
    offer = desk.presence.offers.get(conversation.id)
    desk.presence.forget(conversation.id)
    if offer is not None:
        await desk.sio.emit("offer_withdrawn", {"conversation_id": conversation.id},
                            room=f"agent:{offer.agent_id}", namespace="/agents")
    text = SHOPPER_ENDED.get(conversation.language, SHOPPER_ENDED["tr"])
    desk.store.add_message(conversation.id, "system", text)
    handoff = desk.store.current_handoff(conversation.id)
    if handoff:
        desk.store.update_handoff(handoff.id, event="shopper_ended", status="closed", closed_at=utcnow(), close_note=text)
    desk.store.update_conversation(conversation.id, state="bot", agent_id=None, queued_at=None, queue_priority=1)
    await desk.dispatch()  # the queue and its positions change for everyone


async def forget_in_rasa(desk: "Desk", conversation_id: str) -> None:
    """Rasa's tracker for the id is restarted: slots (the proven order, the customer) are reset and
    a pause is lifted. Its stored events remain for the retention job like the transcript."""
    desk.unresumed.discard(conversation_id)
    desk.failures.pop(conversation_id, None)
    desk.scores.pop(conversation_id, None)
    try:
        await desk.rasa.restart(conversation_id)
    except RasaUnavailable as error:
        log.warning("Rasa could not forget %s yet (%s); retrying in the background", conversation_id, error)
        retry = asyncio.create_task(_retry_forget(desk, conversation_id))
        _retries.add(retry)
        retry.add_done_callback(_retries.discard)


async def _retry_forget(desk: "Desk", conversation_id: str) -> None:
    for delay in FORGET_RETRY_SECONDS:
        await asyncio.sleep(delay)
        try:
            await desk.rasa.restart(conversation_id)
            return
        except RasaUnavailable:
            continue
    log.error("Rasa never forgot the ended conversation %s; its tracker still holds its slots", conversation_id)
